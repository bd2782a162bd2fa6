"""The organizer's side: the gallery's hearts as CSV and as a Lightroom filter line, the
count per photo in the photo list and the gallery's overview, each for the organizer's
own galleries only."""

import csv
import io

import pytest
from django.test import Client

from accounts.services import organizers_group
from favourites import services
from favourites.tests.conftest import heart
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo


def organizer():
    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


@pytest.fixture
def owner(db):
    return organizer()


@pytest.fixture
def hearts(gallery, photos, owner):
    """Two guests: Edna (named) hearts the first two photos, someone else the second."""
    Gallery.objects.filter(pk=gallery.pk).update(owner=owner)
    edna, someone = Client(), Client()
    heart(edna, photos[0])
    heart(edna, photos[1])
    edna.post("/g/anna-ben/favourites/name/", {"name": "Edna"})
    heart(someone, photos[1])
    return gallery


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_csv_names_each_heart_by_original_file_name_and_guest(hearts, owner):
    response = _signed_in(owner).get(f"/admin/favourites/{hearts.pk}/favourites.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="anna-ben-favourites.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[:3] for row in rows] == [
        ["file_name", "guest_name", "guest"],
        ["DSC_0000.jpg", "Edna", "Guest 1"],
        ["DSC_0001.jpg", "", "Guest 2"],
        ["DSC_0001.jpg", "Edna", "Guest 1"],
    ]


def test_the_lightroom_line_can_be_pasted_into_the_filter(hearts, owner):
    response = _signed_in(owner).get(f"/admin/favourites/{hearts.pk}/lightroom.txt")
    assert response.content.decode() == "DSC_0000, DSC_0001\n"


def test_another_organizer_gets_nothing_of_them_and_a_superuser_all(hearts):
    other = _signed_in(organizer())
    for url in (f"/admin/favourites/{hearts.pk}/favourites.csv", f"/admin/favourites/{hearts.pk}/lightroom.txt"):
        assert other.get(url).status_code == 404
        assert Client().get(url)["Location"].startswith("/admin/login/")
        assert _signed_in(make_user(superuser=True)).get(url).status_code == 200


def test_the_photo_list_counts_and_sorts_by_hearts(hearts, owner, photos):
    upload_photo(make_gallery(owner=organizer()), content=unique_jpeg(), filename="THEIRS.jpg")
    response = _signed_in(owner).get("/admin/galleries/photo/?o=-3")
    assert response.status_code == 200
    rows = [(photo.original_filename, photo.favourite_count) for photo in response.context["cl"].result_list]
    assert rows == [("DSC_0001.jpg", 2), ("DSC_0000.jpg", 1), ("DSC_0002.jpg", 0)]
    assert b"column-favourite_count" in response.content


def test_the_gallery_page_shows_its_overview(hearts, owner, photos):
    guest = Client()
    guest.get("/g/anna-ben/favourites/state")  # a view
    guest.get(f"/photos/{photos[0].key}/original?download=1")
    guest.get("/g/anna-ben/download/")
    response = _signed_in(owner).get(f"/admin/galleries/gallery/{hearts.pk}/change/")
    overview = response.context["overview"]
    assert (overview.photos, overview.ready, overview.faces_indexed) == (3, 3, 0)
    # The guest whose gallery page's script asked for its hearts: a heart itself is no
    # view, nor is the owner's own look.
    assert overview.views == 1
    assert (overview.photo_downloads, overview.zip_downloads, overview.zip_photos) == (1, 1, 3)
    assert (overview.favourites, overview.favourite_photos, overview.favourite_guests) == (3, 2, 2)
    body = response.content.decode()
    assert 'id="gallery-overview"' in body
    assert f'href="/admin/favourites/{hearts.pk}/favourites.csv"' in body
    assert services.guest_key(device="x") not in body


def test_another_organizer_does_not_see_the_overview(hearts):
    other = _signed_in(organizer())
    response = other.get(f"/admin/galleries/gallery/{hearts.pk}/change/")
    assert response.status_code == 302
