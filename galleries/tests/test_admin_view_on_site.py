"""The admin's "View on site" (/admin/r/<type>/<id>/): for the organizer's own objects only."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from accounts.services import organizers_group
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user


def _organizer_client():
    user = make_user(staff=True)
    user.groups.add(organizers_group())
    client = Client()
    client.force_login(user)
    return user, client


def _view_on_site(model, object_id) -> str:
    return f"/admin/r/{ContentType.objects.get_for_model(model).pk}/{object_id}/"


def test_it_sends_an_organizer_to_their_own_unlisted_gallery(db):
    user, client = _organizer_client()
    gallery = make_gallery(owner=user, visibility=Gallery.Visibility.UNLISTED)

    response = client.get(_view_on_site(Gallery, gallery.pk))

    assert response.status_code == 302
    assert response["Location"].endswith(f"/g/{gallery.slug}/")


def test_another_organizers_gallery_is_not_found(db):
    _, client = _organizer_client()
    gallery = make_gallery(owner=make_user(staff=True), visibility=Gallery.Visibility.UNLISTED)

    response = client.get(_view_on_site(Gallery, gallery.pk))

    assert response.status_code == 404
    assert gallery.slug not in response.text


@pytest.mark.parametrize("object_id", ["not-a-number", "1.5", "%20"])
def test_an_id_that_is_not_one_is_not_found_rather_than_a_server_error(db, object_id):
    user, client = _organizer_client()
    make_gallery(owner=user)

    response = client.get(_view_on_site(Gallery, object_id))

    assert response.status_code == 404
