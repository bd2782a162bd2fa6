"""Closing in the admin: "closes in N days" / "closed" in the list and on the gallery's
page, extended by 30 days with the page's button or the list's action, for the
organizer's own galleries only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from faces.models import Face
from faces.tests import face_images
from faces.tests.find_me import add_photos, face_search_gallery
from galleries.admin import closing_status
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user(staff=True)


@pytest.fixture
def owner_client(owner):
    from accounts.services import organizers_group

    owner.groups.add(organizers_group())
    client = Client()
    client.force_login(owner)
    return client


def test_the_status_reads_as_a_sentence():
    now = timezone.now()
    gallery = Gallery(closes_at=None)
    assert closing_status(gallery, now) == ""
    gallery.closes_at = now + timedelta(days=3)
    assert closing_status(gallery, now) == "closes in 3 days"
    gallery.closes_at = now + timedelta(days=1)
    assert closing_status(gallery, now) == "closes in 1 day"
    gallery.closes_at = now + timedelta(hours=5)
    assert closing_status(gallery, now) == "closes in 5 hours"
    gallery.closes_at = now
    assert closing_status(gallery, now) == "closed"


def test_the_list_and_the_page_say_when_it_closes(owner_client, owner):
    soon = make_gallery(owner=owner, closes_at=timezone.now() + timedelta(days=3, minutes=-1))
    make_gallery(owner=owner, closes_at=timezone.now() - timedelta(days=1))

    listing = owner_client.get("/admin/galleries/gallery/")
    assert "closes in 3 days" in listing.text
    assert ">closed<" in listing.text
    page = owner_client.get(f"/admin/galleries/gallery/{soon.pk}/change/")
    assert "closes in 3 days" in page.text
    assert f'action="/admin/galleries/gallery/{soon.pk}/extend-closing/"' in page.text
    assert "Extend by 30 days" in page.text


def test_the_button_extends_a_closed_gallery_by_30_days_from_now(owner_client, owner):
    gallery = make_gallery(owner=owner, closes_at=timezone.now() - timedelta(days=10))

    response = owner_client.post(f"/admin/galleries/gallery/{gallery.pk}/extend-closing/", follow=True)

    gallery.refresh_from_db()
    assert timedelta(days=29, hours=23) < gallery.closes_at - timezone.now() <= timedelta(days=30)
    assert "The gallery now closes in 30 days." in response.text


def test_the_button_extends_an_open_gallery_from_its_closing_time(owner_client, owner):
    closes_at = timezone.now() + timedelta(days=5)
    gallery = make_gallery(owner=owner, closes_at=closes_at)

    owner_client.post(f"/admin/galleries/gallery/{gallery.pk}/extend-closing/")

    gallery.refresh_from_db()
    assert gallery.closes_at == closes_at + timedelta(days=30)


def test_another_organizers_gallery_is_not_found_and_unchanged(owner_client):
    closes_at = timezone.now() + timedelta(days=5)
    theirs = make_gallery(owner=make_user(staff=True), closes_at=closes_at)

    response = owner_client.post(f"/admin/galleries/gallery/{theirs.pk}/extend-closing/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.closes_at == closes_at


def test_the_action_extends_the_chosen_galleries_that_have_a_closing_date(owner_client, owner):
    closes_at = timezone.now() + timedelta(days=1)
    closing = make_gallery(owner=owner, closes_at=closes_at)
    never = make_gallery(owner=owner)

    response = owner_client.post(
        "/admin/galleries/gallery/",
        {"action": "extend_closing", "_selected_action": [closing.pk, never.pk], "index": 0},
        follow=True,
    )

    closing.refresh_from_db()
    never.refresh_from_db()
    assert closing.closes_at == closes_at + timedelta(days=30)
    assert never.closes_at is None
    assert "1 gallery(ies) now close 30 days later. 1 without a closing date left as they are." in response.text


@pytest.mark.django_db(transaction=True)
def test_saving_a_closing_time_in_the_past_closes_it_at_once(owner_client, owner, django_capture_on_commit_callbacks):
    gallery = face_search_gallery(owner=owner)
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    past = timezone.localtime() - timedelta(hours=1)
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "visibility": gallery.visibility,
        "access_code": "",
        "is_published": "on",
        "face_search_enabled": "on",
        "closes_at_0": past.strftime("%Y-%m-%d"),
        "closes_at_1": past.strftime("%H:%M:%S"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", data, follow=True)

    assert "The gallery has closed: Find me is off and its face data was deleted." in response.text
    gallery.refresh_from_db()
    assert gallery.closes_at is not None and not gallery.face_search_enabled
    assert not Face.objects.filter(gallery=gallery).exists()
