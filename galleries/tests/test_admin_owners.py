"""Each organizer's galleries are their own in the admin (galleries/access.py); the
route-by-route check of every user is in eventgallery/tests."""

import re

import pytest
from django.test import Client

from accounts.services import organizers_group
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user

GALLERY_FORM = {
    "name": "Anna & Ben",
    "slug": "anna-ben",
    "visibility": "public",
    "access_code": "",
    "is_published": "on",
}


def _organizer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organizer_of_the_studio(db):
    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


def test_an_organizer_who_is_not_a_superuser_owns_the_galleries_they_create(organizer_of_the_studio):
    someone_else = make_user(staff=True)
    client = _organizer_client(organizer_of_the_studio)

    response = client.post("/admin/galleries/gallery/add/", {**GALLERY_FORM, "owner": someone_else.pk})

    assert response.status_code == 302
    assert Gallery.objects.get(slug="anna-ben").owner == organizer_of_the_studio


def test_an_organizer_cannot_hand_their_gallery_to_someone_else(organizer_of_the_studio):
    gallery = make_gallery(owner=organizer_of_the_studio, slug="anna-ben")
    someone_else = make_user(staff=True)
    client = _organizer_client(organizer_of_the_studio)

    response = client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", {**GALLERY_FORM, "owner": someone_else.pk})

    assert response.status_code == 302
    assert Gallery.objects.get(pk=gallery.pk).owner == organizer_of_the_studio


def test_a_superuser_gives_a_gallery_to_an_organizer(organizer_of_the_studio):
    superuser = make_user(superuser=True)
    gallery = make_gallery(owner=superuser, slug="anna-ben")

    response = _organizer_client(superuser).post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", {**GALLERY_FORM, "owner": organizer_of_the_studio.pk}
    )

    assert response.status_code == 302
    assert Gallery.objects.get(pk=gallery.pk).owner == organizer_of_the_studio


def test_a_taken_address_gets_a_suffix_rather_than_telling_whose_gallery_is_there(organizer_of_the_studio):
    make_gallery(slug="anna-ben", name="Another studio's wedding", owner=make_user(staff=True))
    client = _organizer_client(organizer_of_the_studio)

    response = client.post("/admin/galleries/gallery/add/", GALLERY_FORM, follow=True)

    mine = Gallery.objects.get(owner=organizer_of_the_studio)
    assert re.fullmatch(r"anna-ben-[0-9a-f]{6}", mine.slug)
    assert f"this gallery is at /g/{mine.slug}/" in response.text
    assert "Another studio" not in response.text
    assert "already exists" not in response.text


def test_the_address_of_another_organizers_draft_is_not_said_to_be_taken(organizer_of_the_studio):
    make_gallery(slug="anna-ben", name="Another studio's draft", owner=make_user(staff=True), is_published=False)
    client = _organizer_client(organizer_of_the_studio)

    response = client.post("/admin/galleries/gallery/add/", GALLERY_FORM, follow=True)

    mine = Gallery.objects.get(owner=organizer_of_the_studio)
    assert re.fullmatch(r"anna-ben-[0-9a-f]{6}", mine.slug)
    assert f"This gallery is at /g/{mine.slug}/" in response.text
    assert "/g/anna-ben/" not in response.text
    assert "not free" not in response.text and "another gallery" not in response.text.lower()


def test_another_organizers_gallery_is_neither_listed_nor_opened(organizer_of_the_studio):
    theirs = make_gallery(name="Their secret wedding", owner=make_user(staff=True))
    client = _organizer_client(organizer_of_the_studio)

    listing = client.get("/admin/galleries/gallery/")
    change = client.get(f"/admin/galleries/gallery/{theirs.pk}/change/")

    assert "Their secret wedding" not in listing.text
    assert change.status_code == 302 and change["Location"] == "/admin/"
