"""The slideshow page (/g/<slug>/slideshow/): the gallery page's access, a photo and the
gallery's QR code without any script, and its links from the gallery and the admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from galleries.files import photo_view_url as file_url
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    from accounts.services import organizers_group

    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


def _url(gallery, query=""):
    return f"/g/{gallery.slug}/slideshow/{query}"


def test_it_shows_a_photo_and_the_galleries_qr_code_and_short_link(client, owner, settings):
    settings.SLIDESHOW_INTERVAL_S = 5
    gallery = make_gallery(owner=owner, slug="summer-party")
    photo = upload_photo(gallery)

    response = client.get(_url(gallery))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="{file_url(photo, "display")}"' in html
    assert f'alt="{gallery.name}"' in html
    assert '<svg viewBox="0 0' in html and "<title>http://testserver/g/summer-party/</title>" in html
    assert '<p class="slideshow-link">testserver/g/summer-party</p>' in html
    # Without JavaScript, the page reloads to the next photo.
    assert '<meta http-equiv="refresh" content="5;url=?n=1">' in html
    assert 'data-photos-url="/g/summer-party/slideshow/photos"' in html


def test_without_script_it_goes_round_the_photos_one_reload_at_a_time(client, owner):
    gallery = make_gallery(owner=owner)
    photos = [upload_photo(gallery, filename=f"IMG_{n}.jpg") for n in range(2)]
    ordered = sorted(photos, key=lambda photo: (photo.sort_at, photo.pk))

    assert f'src="{file_url(ordered[1], "display")}"' in client.get(_url(gallery, "?n=1")).content.decode()
    assert f'src="{file_url(ordered[0], "display")}"' in client.get(_url(gallery, "?n=2")).content.decode()
    assert client.get(_url(gallery, "?n=nonsense")).status_code == 200


def test_an_empty_gallery_says_the_photos_will_come(client, owner):
    gallery = make_gallery(owner=owner, name="Quiet Night")
    html = client.get(_url(gallery)).content.decode()
    assert "The photos of Quiet Night will show here as they arrive." in html


def test_a_private_gallerys_slideshow_run_by_its_organizer_shows_its_code(client, owner):
    private = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    public = make_gallery(owner=owner)
    organizer = Client()
    organizer.force_login(owner)
    client.post(f"/g/{private.slug}/access/", {"code": "letmein"})

    assert '<p class="slideshow-code">Code <strong>letmein</strong></p>' in organizer.get(_url(private)).text
    assert "slideshow-code" not in organizer.get(_url(public)).text
    # A guest's own screen does not show it again.
    assert "letmein" not in client.get(_url(private)).text


def test_it_lets_in_whom_the_gallery_page_lets_in(client, owner):
    private = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE)
    draft = make_gallery(owner=owner, is_published=False)
    closed = make_gallery(owner=owner, closes_at=timezone.now() - timedelta(minutes=1))

    assert client.get(_url(private)).headers["Location"] == f"/g/{private.slug}/access/"
    assert client.get(_url(draft)).status_code == 404
    assert client.get(_url(closed)).status_code == 410
    client.post(f"/g/{private.slug}/access/", {"code": "letmein"})
    assert client.get(_url(private)).status_code == 200

    manager = Client()
    manager.force_login(owner)
    for gallery in (private, draft, closed):
        assert manager.get(_url(gallery)).status_code == 200


def test_the_gallery_page_and_the_admin_link_to_it(client, owner):
    gallery = make_gallery(owner=owner)
    assert f'href="{_url(gallery)}"' in client.get(f"/g/{gallery.slug}/").content.decode()

    client.force_login(owner)
    admin_page = client.get(f"/admin/galleries/gallery/{gallery.pk}/change/").content.decode()
    assert f'href="{_url(gallery)}"' in admin_page


def test_it_asks_for_fresh_photo_addresses_before_the_signed_ones_expire(client, owner, s3_storage):
    # S3's signed URLs live minutes (S3_SIGNED_URL_SECONDS): the script lists the photos
    # again at half their life; local addresses do not expire (every half hour).
    gallery = make_gallery(owner=owner)
    upload_photo(gallery)

    on_s3 = client.get(_url(gallery)).text

    assert "X-Amz-Expires=300&" in on_s3 and 'data-full-list="150"' in on_s3


def test_local_addresses_are_listed_again_every_half_hour(client, owner):
    gallery = make_gallery(owner=owner)

    assert 'data-full-list="1800"' in client.get(_url(gallery)).text
