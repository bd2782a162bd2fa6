"""A selfie is read from its header first (SELFIE_MAX_PIXELS) and decoded in a turn of
the web process's decode budget: too many pixels get a clear message before any
decode, and no turn free in time gets a 503 with Retry-After ("busy, try again in a
moment"), on the Find me page, through the Find me API and the compare API."""

from __future__ import annotations

import base64

import pytest

from api.tests.factories import bearer, make_api_key
from faces.tests.find_me import face_search_gallery, find_me_url, selfie_file
from galleries.tests.decoding_turns import held_turn
from galleries.tests.images import jpeg_bytes

BUSY = "The server is busy reading other images. Please try again in a moment."
TOO_LARGE = (
    "This image is too large: 1.5 megapixels, at most 1. Take a selfie with your phone&#x27;s camera, "
    "or choose a smaller photo."
)


@pytest.fixture
def busy_settings(settings):
    settings.DECODE_CONCURRENCY = 1
    settings.DECODE_WAIT_S = 0
    return settings


def _page_search(client, gallery, content: bytes):
    return client.post(find_me_url(gallery), {"selfie": selfie_file(content=content)})


def _api_search(client, gallery, content: bytes):
    return client.post(
        f"/api/gallery/{gallery.pk}/find-me", {"selfie": selfie_file(content=content), "consent": "true"}
    )


def test_the_find_me_page_refuses_a_selfie_of_too_many_pixels_with_a_clear_message(consenting_client, settings):
    settings.SELFIE_MAX_PIXELS = 1_000_000
    gallery = face_search_gallery()

    response = _page_search(consenting_client, gallery, jpeg_bytes(1500, 1000))

    assert response.status_code == 400
    assert TOO_LARGE in response.text


def test_the_find_me_api_refuses_a_selfie_of_too_many_pixels_with_a_clear_message(client, db, settings):
    settings.SELFIE_MAX_PIXELS = 1_000_000
    gallery = face_search_gallery()

    response = _api_search(client, gallery, jpeg_bytes(1500, 1000))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == TOO_LARGE.replace("&#x27;", "'")


def test_the_find_me_page_answers_busy_with_a_503_and_retry_after(consenting_client, busy_settings):
    gallery = face_search_gallery()

    with held_turn():
        response = _page_search(consenting_client, gallery, jpeg_bytes(640, 480))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert BUSY in response.text
    assert 'type="file"' in response.text  # the form, to try again


def test_the_find_me_api_answers_busy_with_a_503_and_retry_after(client, db, busy_settings):
    gallery = face_search_gallery()

    with held_turn():
        response = _api_search(client, gallery, jpeg_bytes(640, 480))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"error": {"code": "busy", "message": BUSY}}


def test_the_compare_api_answers_busy_with_a_503_and_retry_after(client, db, busy_settings):
    image = base64.b64encode(jpeg_bytes(640, 480)).decode()

    with held_turn():
        response = client.post(
            "/api/rekognition/compare",
            {"source_image": image, "target_image": image},
            content_type="application/json",
            **bearer(make_api_key()),
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "busy"


def test_once_the_turn_is_free_the_same_selfie_is_searched(client, db, busy_settings):
    gallery = face_search_gallery()
    with held_turn():
        assert _api_search(client, gallery, jpeg_bytes(640, 480)).status_code == 503

    response = _api_search(client, gallery, jpeg_bytes(640, 480))

    # A flat image: read, searched, and no face found in it.
    assert (response.status_code, response.json()["error"]["code"]) == (400, "no_face")
