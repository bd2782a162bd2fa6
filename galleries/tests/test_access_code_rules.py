"""What an access code must be: at least 6 characters when made or changed (in the
admin and through the API's gallery_create, both through Gallery.clean), a random
readable one offered for new galleries, shorter codes of before kept until changed."""

import re

import pytest
from django.core.exceptions import ValidationError

from galleries.access import ACCESS_CODE_ALPHABET
from galleries.models import Gallery
from galleries.services.galleries import gallery_create
from galleries.tests.factories import make_gallery


def _admin_change(client, gallery, **fields):
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "is_published": "on",
        **fields,
    }
    return client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", data)


def test_the_admin_offers_a_random_readable_code_for_a_new_gallery(organizer_client):
    first = organizer_client.get("/admin/galleries/gallery/add/").text
    second = organizer_client.get("/admin/galleries/gallery/add/").text

    codes = [re.search(r'name="access_code" value="([^"]*)"', page).group(1) for page in (first, second)]
    assert codes[0] != codes[1]
    for code in codes:
        assert len(code) == 8 and set(code) <= set(ACCESS_CODE_ALPHABET)
    assert "at least 6 characters" in first


def test_the_offered_code_makes_a_private_gallery_at_once(organizer_client):
    code = re.search(
        r'name="access_code" value="([^"]*)"', organizer_client.get("/admin/galleries/gallery/add/").text
    ).group(1)

    response = organizer_client.post(
        "/admin/galleries/gallery/add/",
        {"name": "Wedding", "slug": "wedding", "visibility": "private", "access_code": code, "is_published": "on"},
    )

    assert response.status_code == 302
    assert Gallery.objects.get(slug="wedding").access_code == code


def test_a_new_code_under_six_characters_is_refused_in_the_admin(organizer_client):
    response = organizer_client.post(
        "/admin/galleries/gallery/add/",
        {"name": "Wedding", "slug": "wedding", "visibility": "private", "access_code": "rings "},
    )

    assert response.status_code == 200
    assert "An access code needs at least 6 characters." in response.text
    assert not Gallery.objects.exists()


def test_a_gallery_with_an_older_short_code_can_still_be_edited(organizer_client):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="rings")

    response = _admin_change(organizer_client, gallery, name="Anna & Ben")

    assert response.status_code == 302
    gallery.refresh_from_db()
    assert (gallery.name, gallery.access_code) == ("Anna & Ben", "rings")


def test_changing_an_older_short_code_needs_six_characters(organizer_client):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="rings")

    refused = _admin_change(organizer_client, gallery, access_code="bells")
    accepted = _admin_change(organizer_client, gallery, access_code="wedding bells")

    assert "An access code needs at least 6 characters." in refused.text
    assert accepted.status_code == 302
    gallery.refresh_from_db()
    assert gallery.access_code == "wedding bells"


def test_the_service_refuses_a_short_code_and_strips_spaces(db):
    with pytest.raises(ValidationError) as refused:
        gallery_create(owner=None, name="x", visibility=Gallery.Visibility.PRIVATE, access_code="abc")

    gallery = gallery_create(owner=None, name="y", visibility=Gallery.Visibility.PRIVATE, access_code="  abc-def  ")

    assert "access_code" in refused.value.message_dict
    assert gallery.access_code == "abc-def"
