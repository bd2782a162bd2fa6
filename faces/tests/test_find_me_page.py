"""The Find me page: the button on the gallery, consent, the selfie form, and the
gallery's access rules."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, find_me_url, selfie_file
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

CONSENT_TEXT = "It is <strong>never stored</strong>"


def test_the_gallery_offers_find_me_when_the_organizer_switched_it_on(client, db):
    gallery = face_search_gallery()

    response = client.get(gallery.get_absolute_url())

    assert f'href="{find_me_url(gallery)}"' in response.text
    assert ">Find me</a>" in response.text


def test_the_gallery_does_not_offer_find_me_otherwise(client, db):
    gallery = make_gallery()

    response = client.get(gallery.get_absolute_url())

    assert "/find-me/" not in response.text
    assert "Find me" not in response.text


def test_switching_find_me_on_shows_the_button_on_a_gallery_page_seen_before(client, db):
    gallery = make_gallery()
    assert "Find me" not in client.get(gallery.get_absolute_url()).text

    gallery.face_search_enabled = True
    gallery.save()

    assert f'href="{find_me_url(gallery)}"' in client.get(gallery.get_absolute_url()).text


def test_the_first_visit_explains_what_happens_to_the_selfie_and_asks_for_consent(client, db):
    gallery = face_search_gallery()

    response = client.get(find_me_url(gallery))

    assert response.status_code == 200
    assert "used <strong>once</strong>, for this search" in response.text
    assert CONSENT_TEXT in response.text
    assert 'type="checkbox" name="consent"' in response.text
    assert 'enctype="multipart/form-data"' in response.text


def test_the_selfie_input_opens_the_front_camera_on_phones(client, db):
    gallery = face_search_gallery()

    response = client.get(find_me_url(gallery))

    assert '<input type="file" name="selfie" accept="image/*" capture="user" required' in response.text


def test_a_search_without_consent_is_refused_and_nothing_is_searched(client, db, monkeypatch):
    gallery = face_search_gallery()
    searched = []
    monkeypatch.setattr("faces.services.find_me.face_search", lambda **kwargs: searched.append(kwargs))

    response = client.post(find_me_url(gallery), {"selfie": selfie_file(face_images.tom_hanks())})

    assert response.status_code == 400
    assert "Please tick the box to agree" in response.text
    assert searched == []
    assert CONSENT_TEXT in client.get(find_me_url(gallery)).text


def test_consent_is_asked_once_and_remembered_for_the_session(client, db):
    gallery = face_search_gallery()

    response = client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())})

    assert response.status_code == 303
    assert client.session["find_me_consent"] is True
    page = client.get(find_me_url(gallery)).text
    assert CONSENT_TEXT not in page
    assert 'name="consent"' not in page
    assert "Your selfie is used for this search only and never stored." in page
    assert client.post(find_me_url(gallery), {"selfie": selfie_file(face_images.tom_hanks())}).status_code == 303


def test_the_session_keeps_only_the_consent(client, db):
    gallery = face_search_gallery()

    client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())})

    assert dict(client.session) == {"find_me_consent": True}


def test_a_search_without_a_selfie_asks_for_one(client, db):
    gallery = face_search_gallery()

    response = client.post(find_me_url(gallery), {"consent": "on"})

    assert response.status_code == 400
    assert "Take a selfie (or choose a photo of yourself) first." in response.text


def test_a_gallery_without_face_search_says_so(client, db):
    gallery = make_gallery()

    get = client.get(find_me_url(gallery))
    post = client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())})

    for response in (get, post):
        assert response.status_code == 404
        assert "Find me is not available here" in response.text
        assert "have not switched on Find me" in response.text
        assert f'href="{gallery.get_absolute_url()}"' in response.text


def test_a_draft_is_not_found(client, db):
    gallery = face_search_gallery(is_published=False)

    assert client.get(find_me_url(gallery)).status_code == 404
    assert client.post(find_me_url(gallery), {"selfie": selfie_file(face_images.tom_hanks())}).status_code == 404


def test_the_organizer_of_a_draft_can_try_find_me_on_it_and_other_organizers_cannot(client, db):
    owner = make_user(staff=True)
    gallery = face_search_gallery(is_published=False, owner=owner)

    client.force_login(make_user(staff=True))
    assert client.get(find_me_url(gallery)).status_code == 404
    client.force_login(owner)
    assert client.get(find_me_url(gallery)).status_code == 200


def test_an_unknown_gallery_is_not_found(client, db):
    assert client.get("/g/no-such-gallery/find-me/").status_code == 404


def test_a_locked_private_gallery_sends_guests_to_its_access_page(client, db):
    gallery = face_search_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")

    for response in (
        client.get(find_me_url(gallery)),
        client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())}),
    ):
        assert response.status_code == 302
        assert response["Location"] == f"/g/{gallery.slug}/access/"


def test_an_unlocked_private_gallery_can_be_searched(client, db):
    gallery = face_search_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})

    response = client.post(
        find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())}, follow=True
    )

    assert response.status_code == 200
    assert "We did not find you" in response.text


def test_searches_are_limited_per_device(client, db, settings):
    settings.FACE_SEARCHES_PER_WINDOW = 3
    gallery = face_search_gallery()
    statuses = [
        client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())}).status_code
        for _ in range(3)
    ]

    response = client.post(find_me_url(gallery), {"selfie": selfie_file(face_images.tom_hanks())})

    assert statuses == [303, 303, 303]
    assert response.status_code == 429
    assert "Please wait a few minutes and try again." in response.text
    assert 0 < int(response["Retry-After"]) <= settings.FACE_SEARCH_WINDOW_S
    # The same device in another gallery's search is held too.
    assert (
        client.post(find_me_url(face_search_gallery()), {"selfie": selfie_file(face_images.tom_hanks())}).status_code
        == 429
    )


def _search_without_selfie(client, gallery) -> int:
    """A search the limits count, whose answer (400: no selfie) costs no face engine."""
    return client.post(find_me_url(gallery), {"consent": "on"}).status_code


def test_guests_at_a_venue_behind_one_address_each_have_their_own_searches(db, settings):
    """The whole wedding on the venue's Wi-Fi: the eleventh guest's fresh phone may search."""
    gallery = face_search_gallery()
    guests = [Client() for _ in range(12)]

    statuses = [_search_without_selfie(guest, gallery) for guest in guests for _ in range(10)]

    assert statuses == [400] * 120
    assert _search_without_selfie(guests[0], gallery) == 429


def test_a_device_that_clears_its_cookies_is_still_held_by_its_address(client, db, settings):
    settings.FACE_SEARCHES_PER_WINDOW = 2
    settings.FACE_SEARCHES_PER_ADDRESS = 5
    gallery = face_search_gallery()
    statuses = []
    for _ in range(4):
        statuses += [_search_without_selfie(client, gallery) for _ in range(2)]
        client.cookies.clear()

    assert statuses == [400] * 5 + [429] * 3
    assert _search_without_selfie(Client(), gallery) == 429
    assert _search_without_selfie(Client(REMOTE_ADDR="192.0.2.7"), gallery) == 400


def test_a_device_over_its_limit_does_not_use_up_its_address(client, db, settings):
    settings.FACE_SEARCHES_PER_WINDOW = 2
    settings.FACE_SEARCHES_PER_ADDRESS = 4
    gallery = face_search_gallery()

    statuses = [_search_without_selfie(client, gallery) for _ in range(10)]

    assert statuses == [400] * 2 + [429] * 8
    assert [_search_without_selfie(Client(), gallery) for _ in range(2)] == [400, 400]


def test_behind_a_trusted_proxy_the_ceiling_is_per_forwarded_address(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.FACE_SEARCHES_PER_ADDRESS = 2
    gallery = face_search_gallery()
    venue = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    for _ in range(2):
        Client(**venue).post(find_me_url(gallery), {"consent": "on"})

    assert Client(**venue).post(find_me_url(gallery), {"consent": "on"}).status_code == 429
    assert Client(HTTP_X_FORWARDED_FOR="198.51.100.2").post(find_me_url(gallery), {"consent": "on"}).status_code == 400


def test_searching_does_not_need_javascript_but_is_enhanced_by_it(client, db):
    gallery = face_search_gallery()

    response = client.get(find_me_url(gallery))

    assert '<form method="post" enctype="multipart/form-data"' in response.text
    assert 'src="/static/faces/find-me.js" defer' in response.text
    assert '<button type="submit">Find me</button>' in response.text


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_not_allowed(client, db, method):
    gallery = face_search_gallery()
    upload_photo(gallery)

    assert getattr(client, method)(find_me_url(gallery)).status_code == 405


def test_a_search_needs_the_forms_csrf_token(db):
    gallery = face_search_gallery()
    client = Client(enforce_csrf_checks=True)
    page = client.get(find_me_url(gallery)).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    without = client.post(find_me_url(gallery), {"consent": "on", "selfie": selfie_file(face_images.tom_hanks())})
    with_token = client.post(
        find_me_url(gallery),
        {"csrfmiddlewaretoken": token, "consent": "on", "selfie": selfie_file(face_images.tom_hanks())},
        follow=True,
    )

    assert without.status_code == 403
    assert with_token.status_code == 200
    assert "We did not find you" in with_token.text
