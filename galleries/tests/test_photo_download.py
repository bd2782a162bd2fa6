"""One photo downloaded (galleries/views.py photo_file with ?download=1): named by the
photo's own name and the size sent, safely whatever the uploaded name holds (RFC 6266
filename*), and counted once in the gallery's downloads at every size."""

import pytest
from django.test import Client

from galleries import stats
from galleries.models import Gallery, GalleryDownload
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def gallery():
    return make_gallery(slug="party", downloads=Gallery.Downloads.ORIGINALS)


@pytest.mark.parametrize(
    ("kind", "downloaded_as"),
    [("original", "IMG_1234.jpg"), ("display", "IMG_1234-large.jpg"), ("middle", "IMG_1234-web.jpg")],
)
def test_it_names_each_size_by_the_photos_own_name(client, gallery, kind, downloaded_as):
    photo = upload_photo(gallery, content=unique_jpeg(width=2400, height=1600), filename="IMG_1234.jpg")

    response = client.get(f"/photos/{photo.key}/{kind}", {"download": 1})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{downloaded_as}"'


def test_it_escapes_quotes_in_an_ascii_name(client, gallery):
    photo = upload_photo(gallery, content=unique_jpeg(), filename='The "best" one.jpg')

    response = client.get(f"/photos/{photo.key}/middle", {"download": 1})

    assert response["Content-Disposition"] == r'attachment; filename="The \"best\" one-web.jpg"'


def test_it_names_a_non_ascii_name_with_filename_star(client, gallery):
    photo = upload_photo(gallery, content=unique_jpeg(), filename='Grüße "vom" 婚礼.jpg')

    response = client.get(f"/photos/{photo.key}/display", {"download": 1})

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%20%22vom%22%20%E5%A9%9A%E7%A4%BC-large.jpg"
    )


def test_it_takes_line_breaks_and_slashes_out_of_the_name(client, gallery):
    photo = upload_photo(gallery, content=unique_jpeg(), filename="a\r\nSet-Cookie: x=1\\..\\b.jpg")

    response = client.get(f"/photos/{photo.key}/original", {"download": 1})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="a__Set-Cookie: x=1_.._b.jpg"'
    assert "x" not in response.cookies


@pytest.mark.parametrize("kind", ["original", "display", "middle"])
def test_it_counts_a_guests_download_once_at_every_size(gallery, kind):
    photo = upload_photo(gallery, content=unique_jpeg())
    guest = Client()

    guest.get(f"/photos/{photo.key}/{kind}", {"download": 1})
    guest.get(f"/photos/{photo.key}/{kind}")  # shown in the viewer: no download
    guest.head(f"/photos/{photo.key}/{kind}", {"download": 1})

    assert list(GalleryDownload.objects.values_list("what", "photo_count")) == [("photo", 1)]
    assert stats.gallery_overview(gallery=gallery).photo_downloads == 1


def test_it_counts_no_thumbnail_and_no_organizers_download(gallery):
    owner = make_user(staff=True)
    Gallery.objects.filter(pk=gallery.pk).update(owner=owner)
    photo = upload_photo(gallery, content=unique_jpeg())
    organizer = Client()
    organizer.force_login(owner)

    Client().get(f"/photos/{photo.key}/thumb", {"download": 1})
    organizer.get(f"/photos/{photo.key}/middle", {"download": 1})

    assert not GalleryDownload.objects.exists()
