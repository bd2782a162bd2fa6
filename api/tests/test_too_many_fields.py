"""A body with more form fields than Django takes (DATA_UPLOAD_MAX_NUMBER_FIELDS, 1,000)
is the sender's fault: a 400 in the API's shape (`malformed_body`), never a 500, on the
routes that read a form without a key (Find me) and with one (the upload); a guest's
HTML form gets the 400 page."""

import pytest

from api.tests.factories import bearer, make_api_key
from eventgallery.tests.multipart_bodies import CONTENT_TYPE, multipart_body
from galleries.tests.factories import make_gallery, unique_jpeg

pytestmark = pytest.mark.django_db

FIELDS = {f"field{n}": "x" for n in range(1100)}


def _multipart(file_field: str) -> bytes:
    return multipart_body(fields=FIELDS, files={file_field: ("selfie.jpg", unique_jpeg())})


def _urlencoded() -> str:
    return "&".join(f"{name}={value}" for name, value in FIELDS.items())


def _assert_malformed_body(response):
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"
    assert "too many fields" in response.json()["error"]["message"]


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_find_me_without_a_key_answers_400_malformed_body(client, encoding):
    gallery = make_gallery(face_search_enabled=True)
    if encoding == "multipart":
        response = client.post(f"/api/gallery/{gallery.pk}/find-me", _multipart("selfie"), content_type=CONTENT_TYPE)
    else:
        response = client.post(
            f"/api/gallery/{gallery.pk}/find-me", _urlencoded(), content_type="application/x-www-form-urlencoded"
        )

    _assert_malformed_body(response)


def test_the_upload_answers_400_malformed_body_and_stores_nothing(client, settings):
    from pathlib import Path

    response = client.post("/api/image/upload", _multipart("file"), content_type=CONTENT_TYPE, **bearer(make_api_key()))

    _assert_malformed_body(response)
    assert [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()] == []


def test_the_guests_find_me_form_gets_the_400_page(client):
    gallery = make_gallery(face_search_enabled=True)

    response = client.post(f"/g/{gallery.slug}/find-me/", _multipart("selfie"), content_type=CONTENT_TYPE)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "This request could not be read" in response.text
