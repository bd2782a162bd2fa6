"""Hide requests in the admin: the gallery's owner and superusers approve them (hiding the
photos or blurring the face), reject and undo them; another organizer sees none of them
and changes nothing. The photos' list marks what guests no longer see."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from accounts.services import organizers_group
from faces.models import Face, HideRequest, HideRequestPhoto
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/faces/hiderequest/"


def _organizer():
    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


@pytest.fixture
def world():
    owner, other, superuser = _organizer(), _organizer(), make_user(superuser=True)
    gallery = make_gallery(owner=owner, face_search_enabled=True, hide_requests_apply="after_approval")
    photo = upload_photo(gallery, filename="wedding-dance-lilac.jpg")
    face = Face.objects.create(
        photo=photo,
        gallery=gallery,
        engine="local",
        box_left=0.4,
        box_top=0.3,
        box_width=0.2,
        box_height=0.3,
        confidence=99,
    )
    hide_request = HideRequest.objects.create(gallery=gallery, action="hide", contact="lilac@example.com")
    HideRequestPhoto.objects.create(hide_request=hide_request, photo=photo, face=face)
    return SimpleNamespace(
        users={"owner": owner, "other": other, "superuser": superuser},
        gallery=gallery,
        photo=photo,
        hide_request=hide_request,
    )


def _client(world, user):
    client = Client()
    client.force_login(world.users[user])
    return client


def _action(client, name, hide_request, *, capture):
    with capture(execute=True):
        return client.post(
            CHANGELIST, {"action": name, "_selected_action": [hide_request.pk], "index": 0, "post": "yes"}
        )


@pytest.mark.parametrize("user", ["owner", "other", "superuser"])
def test_approving_hides_the_photo_for_those_who_manage_the_gallery_only(
    world, user, django_capture_on_commit_callbacks
):
    client = _client(world, user)
    listing = client.get(CHANGELIST)
    assert ("lilac@example.com" in listing.text) == (user != "other")

    _action(client, "apply_hide", world.hide_request, capture=django_capture_on_commit_callbacks)

    world.hide_request.refresh_from_db()
    manages = user != "other"
    assert Photo.objects.get(pk=world.photo.pk).hidden == manages
    assert world.hide_request.status == ("applied" if manages else "pending")


@pytest.mark.parametrize("user", ["owner", "other", "superuser"])
def test_undoing_shows_the_photo_again_for_those_who_manage_the_gallery_only(
    world, user, django_capture_on_commit_callbacks
):
    _action(_client(world, "owner"), "apply_hide", world.hide_request, capture=django_capture_on_commit_callbacks)
    assert Photo.objects.get(pk=world.photo.pk).hidden

    _action(_client(world, user), "undo", world.hide_request, capture=django_capture_on_commit_callbacks)

    manages = user != "other"
    assert Photo.objects.get(pk=world.photo.pk).hidden != manages
    assert HideRequest.objects.get(pk=world.hide_request.pk).status == ("undone" if manages else "applied")


def test_the_owner_can_choose_to_blur_instead_and_the_photo_is_rendered_again(
    world, django_capture_on_commit_callbacks
):
    before = Photo.objects.get(pk=world.photo.pk).display.name

    _action(_client(world, "owner"), "apply_blur", world.hide_request, capture=django_capture_on_commit_callbacks)

    photo = Photo.objects.get(pk=world.photo.pk)
    assert photo.is_guest_visible and photo.faces_blurred and photo.display.name != before
    assert HideRequest.objects.get(pk=world.hide_request.pk).action == Gallery.HideAction.BLUR


def test_rejecting_leaves_the_photo_shown(world, django_capture_on_commit_callbacks):
    _action(_client(world, "owner"), "reject", world.hide_request, capture=django_capture_on_commit_callbacks)

    assert HideRequest.objects.get(pk=world.hide_request.pk).status == "rejected"
    assert not Photo.objects.get(pk=world.photo.pk).hidden


def test_the_photos_list_marks_a_hidden_photo_for_its_organizer(world, django_capture_on_commit_callbacks):
    client = _client(world, "owner")
    _action(client, "apply_hide", world.hide_request, capture=django_capture_on_commit_callbacks)

    listing = client.get("/admin/galleries/photo/")
    assert "wedding-dance-lilac.jpg" in listing.text and "Hidden (hide request)" in listing.text
    assert "wedding-dance-lilac.jpg" in client.get("/admin/galleries/photo/?hidden__exact=1").text
    requests = client.get(f"{CHANGELIST}?entries__photo={world.photo.pk}")
    assert requests.status_code == 200 and "lilac@example.com" in requests.text


def test_the_gallery_form_sets_how_requests_apply(world):
    client = _client(world, "owner")
    gallery = world.gallery
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "visibility": gallery.visibility,
        "access_code": "",
        "is_published": "on",
        "face_search_enabled": "on",
        "hide_requests_apply": "at_once",
        "hide_action": "blur",
        "privacy_contact": "privacy@example.com",
        "owner": world.users["owner"].pk,
    }

    response = client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", data)

    assert response.status_code == 302, response.content[:2000]
    gallery.refresh_from_db()
    assert (gallery.hide_requests_apply, gallery.hide_action, gallery.privacy_contact) == (
        "at_once",
        "blur",
        "privacy@example.com",
    )
