"""The privacy page of a gallery with Find me (/g/<slug>/privacy/): what is processed, by
which engine and where, how long face data is kept and how to have photos hidden, from
the gallery's settings; linked from the Find me page and its consent text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from faces import consent
from galleries.tests.factories import make_gallery, make_user

pytestmark = pytest.mark.django_db


def _page(client, gallery):
    response = client.get(f"/g/{gallery.slug}/privacy/")
    assert response.status_code == 200
    return response.text


def test_with_the_local_engine_faces_stay_on_this_server(client, settings):
    settings.FACE_ENGINE = "local"
    gallery = make_gallery(face_search_enabled=True, privacy_contact="privacy@party.example")

    page = _page(client, gallery)

    assert "on this server" in page and "Amazon" not in page
    assert "never stored" in page
    assert "privacy@party.example" in page
    assert "no closing date is set yet" in page
    assert f"Version {consent.privacy_policy(gallery=gallery).version}" in page


def test_with_rekognition_it_names_amazon_and_the_region(client, settings):
    settings.FACE_ENGINE, settings.REKOGNITION_REGION = "rekognition", "eu-central-1"
    gallery = make_gallery(face_search_enabled=True, closes_at=timezone.now() + timedelta(days=30))

    page = _page(client, gallery)

    assert "Amazon Rekognition" in page and "eu-central-1" in page
    assert "on this server" not in page
    assert "it closes on" in page


def test_it_says_how_hide_requests_work_in_this_gallery(client):
    at_once = make_gallery(face_search_enabled=True, hide_action="blur")
    approved = make_gallery(face_search_enabled=True, hide_requests_apply="after_approval")

    assert "Your face is then blurred" in _page(client, at_once) and "this happens at once" in _page(client, at_once)
    page = _page(client, approved)
    assert "hidden from every guest" in page and "once the organizer has approved" in page


def test_without_a_contact_it_names_the_organizers_email(client):
    owner = make_user(staff=True)
    owner.email = "organizer@example.com"
    owner.save()

    page = _page(client, make_gallery(owner=owner, face_search_enabled=True))
    assert '<a href="mailto:organizer@example.com"><strong>organizer@example.com</strong></a>' in page


def test_the_find_me_page_links_it_in_the_consent_text(client):
    gallery = make_gallery(face_search_enabled=True)

    page = client.get(f"/g/{gallery.slug}/find-me/").text

    assert f'href="/g/{gallery.slug}/privacy/"' in page


def test_a_gallery_without_find_me_has_none(client):
    assert client.get(f"/g/{make_gallery().slug}/privacy/").status_code == 404


@pytest.mark.parametrize(
    ("contact", "link"),
    [
        ("privacy@party.example", '<a href="mailto:privacy@party.example"><strong>privacy@party.example</strong></a>'),
        ("+49 30 1234-567", '<a href="tel:+49301234567"><strong>+49 30 1234-567</strong></a>'),
        ("https://party.example/contact", '<a href="https://party.example/contact">'),
    ],
)
def test_its_contact_is_a_link_to_write_or_call(client, contact, link):
    assert link in _page(client, make_gallery(face_search_enabled=True, privacy_contact=contact))


def test_a_contact_that_is_no_address_is_no_link(client):
    page = _page(client, make_gallery(face_search_enabled=True, privacy_contact="Anna, at the reception"))

    assert "<strong>Anna, at the reception</strong>." in page
    assert 'href="mailto:' not in page and 'href="tel:' not in page
