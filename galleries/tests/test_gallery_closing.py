"""A gallery past its closing time: guests are told it has closed (410) on every page
and file of it, those who manage it still see everything (galleries/access.py)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from galleries import access
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db

CLOSED_TEXT = "This gallery has closed"


def _past():
    return timezone.now() - timedelta(minutes=5)


@pytest.fixture
def owner():
    return make_user(staff=True)


@pytest.fixture
def closed(owner):
    gallery = make_gallery(name="Spring Ball", owner=owner, closes_at=_past())
    gallery.photo = upload_photo(gallery)
    return gallery


def _guest_urls(gallery) -> list[str]:
    key = gallery.photo.key
    return [
        f"/g/{gallery.slug}/",
        f"/g/{gallery.slug}/?fragment=1&page=1",
        f"/g/{gallery.slug}/p/{key}/",
        f"/g/{gallery.slug}/access/",
        f"/g/{gallery.slug}/find-me/",
        f"/photos/{key}/thumb",
        f"/photos/{key}/display",
        f"/photos/{key}/original?download=1",
    ]


def test_it_tells_guests_on_every_page_and_file_that_the_gallery_has_closed(client, closed):
    for url in _guest_urls(closed):
        response = client.get(url)

        assert response.status_code == 410, url
        assert CLOSED_TEXT in response.text, url
        assert str(closed.photo.key) not in response.text, url


def test_other_organizers_are_guests_there(closed):
    other = Client()
    other.force_login(make_user(staff=True))

    assert other.get(f"/g/{closed.slug}/").status_code == 410


def test_its_owner_and_superusers_still_see_everything(closed, owner):
    for user in (owner, make_user(superuser=True)):
        client = Client()
        client.force_login(user)
        page = client.get(f"/g/{closed.slug}/")
        assert page.status_code == 200 and str(closed.photo.key) in page.text
        # with a word that guests no longer see it
        assert '<span class="badge">Closed to guests</span>' in page.text
        assert client.get(f"/g/{closed.slug}/p/{closed.photo.key}/").status_code == 200
        assert client.get(f"/photos/{closed.photo.key}/original?download=1").status_code == 200


def test_a_page_cached_for_the_owner_never_reaches_a_guest(client, closed, owner):
    organizer = Client()
    organizer.force_login(owner)
    assert organizer.get(f"/g/{closed.slug}/").status_code == 200

    assert client.get(f"/g/{closed.slug}/").status_code == 410


def test_a_private_gallery_that_closed_asks_for_no_code(client, owner):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="letmein", closes_at=_past())

    response = client.post(f"/g/{gallery.slug}/access/", {"code": "letmein"})

    assert response.status_code == 410


def test_a_closed_draft_is_still_not_found(client):
    draft = make_gallery(is_published=False, closes_at=_past())

    assert client.get(f"/g/{draft.slug}/").status_code == 404


def test_it_is_open_until_its_closing_time_and_no_longer_listed_after(client):
    soon = make_gallery(name="Closing Soon", closes_at=timezone.now() + timedelta(hours=1))
    make_gallery(name="Already Closed", closes_at=_past())

    assert client.get(f"/g/{soon.slug}/").status_code == 200
    home = client.get("/")
    assert "Closing Soon" in home.text
    assert "Already Closed" not in home.text


def test_the_rule_takes_a_request_or_a_user(closed, owner, rf):
    request = rf.get("/")
    request.user = owner
    assert not access.gallery_is_closed_to(request, closed)
    assert not access.gallery_is_closed_to(owner, closed)
    assert access.gallery_is_closed_to(None, closed)
    assert access.gallery_is_closed_to(make_user(staff=True), closed)
    closed.closes_at = timezone.now() + timedelta(seconds=30)
    assert not access.gallery_is_closed_to(None, closed)


def test_it_links_the_organizers_contact_for_a_photo_still_needed(client, owner):
    owner.email = "anna@example.com"
    owner.save()
    by_email = make_gallery(owner=owner, closes_at=_past())
    by_phone = make_gallery(owner=owner, closes_at=_past(), privacy_contact="+44 20 7946 0958")

    assert 'ask the organizers: <a href="mailto:anna@example.com">anna@example.com</a>.' in _closed_page(
        client, by_email
    )
    assert '<a href="tel:+442079460958">+44 20 7946 0958</a>' in _closed_page(client, by_phone)


def test_without_a_contact_it_says_nothing_of_asking(client, owner):
    page = _closed_page(client, make_gallery(owner=owner, closes_at=_past()))  # an owner without an email

    assert CLOSED_TEXT in page
    assert "ask" not in page.lower().split("<main", 1)[1] and "mailto:" not in page


def _closed_page(client, gallery) -> str:
    response = client.get(f"/g/{gallery.slug}/")
    assert response.status_code == 410
    return response.text
