"""The uploaders' scripts ask for JSON and get JSON whatever refuses the request,
Django before any view included: a file name too long for its parser (a part's headers
over 1 KB), too many files or fields, a broken body. The API's upload answers in its own
error shape; the plain forms get the 400 page. Nothing is stored."""

from pathlib import Path

import pytest

from api.tests.factories import bearer, make_api_key
from eventgallery.tests.multipart_bodies import CONTENT_TYPE, multipart_body
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, unique_jpeg

pytestmark = pytest.mark.django_db

LONG_NAME = "a" * 1000 + ".jpg"
JSON = {"Accept": "application/json"}


def _stored(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def _body(field: str, **extra_fields) -> bytes:
    return multipart_body(fields=extra_fields, files={field: (LONG_NAME, unique_jpeg())})


def test_the_admin_uploader_gets_json_for_a_name_too_long(organizer_client, settings):
    gallery = make_gallery()
    url = f"/admin/galleries/gallery/{gallery.pk}/upload/"

    response = organizer_client.post(url, _body("photos"), content_type=CONTENT_TYPE, headers=JSON)
    page = organizer_client.post(url, _body("photos"), content_type=CONTENT_TYPE)

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    [result] = response.json()["results"]
    assert result["ok"] is False and "name is too long" in result["message"]
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert not gallery.photos.exists() and _stored(settings) == []


def test_the_guest_uploader_gets_json_for_a_name_too_long_and_too_many_fields(client, settings):
    gallery = make_gallery(guest_uploads=Gallery.GuestUploads.OPEN)
    url = f"/g/{gallery.slug}/upload/"

    long_name = client.post(url, _body("photos", name="Ann"), content_type=CONTENT_TYPE, headers=JSON)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{n}": "x" for n in range(10)}
    many = multipart_body(fields=fields, files={"photos": ("a.jpg", unique_jpeg())})
    too_many = client.post(url, many, content_type=CONTENT_TYPE, headers=JSON)

    assert (long_name.status_code, too_many.status_code) == (400, 400)
    assert "name is too long" in long_name.json()["results"][0]["message"]
    assert "too many files or fields" in too_many.json()["results"][0]["message"]
    assert not gallery.photos.exists() and _stored(settings) == []


def test_the_api_upload_answers_in_its_error_shape_for_a_name_too_long(client, settings):
    response = client.post("/api/image/upload", _body("file"), content_type=CONTENT_TYPE, **bearer(make_api_key()))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"
    assert "file name too long" in response.json()["error"]["message"]
    assert _stored(settings) == []


def test_the_admin_uploader_gets_json_for_a_body_too_large(organizer_client, settings):
    # A form field larger than Django takes into memory (DATA_UPLOAD_MAX_MEMORY_SIZE).
    gallery = make_gallery()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = multipart_body(fields={"note": "x" * 4096}, files={"photos": ("a.jpg", unique_jpeg())})

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/upload/", body, content_type=CONTENT_TYPE, headers=JSON
    )

    assert response.status_code == 400
    assert "too large" in response.json()["results"][0]["message"]
    assert not gallery.photos.exists() and _stored(settings) == []


def test_every_other_error_an_uploader_gets_is_json_too(settings):
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from galleries.tests.factories import make_organizer

    organizer = make_organizer()
    theirs = make_gallery(owner=make_organizer())  # another organizer's: not found to this one
    mine = make_gallery(owner=organizer)
    closed = make_gallery(guest_uploads=Gallery.GuestUploads.OPEN, closes_at=timezone.now() - timedelta(hours=1))
    draft = make_gallery(guest_uploads=Gallery.GuestUploads.OPEN, is_published=False)
    body = multipart_body(fields={}, files={"photos": ("a.jpg", unique_jpeg())})
    organizer_client, checked_client, guest = Client(), Client(enforce_csrf_checks=True), Client()
    organizer_client.force_login(organizer)
    checked_client.force_login(organizer)

    def post(client, url, accept="application/json"):
        return client.post(url, body, content_type=CONTENT_TYPE, headers={"Accept": accept})

    not_found = post(organizer_client, f"/admin/galleries/gallery/{theirs.pk}/upload/")
    no_csrf = post(checked_client, f"/admin/galleries/gallery/{mine.pk}/upload/")
    gallery_closed = post(guest, f"/g/{closed.slug}/upload/")
    gallery_draft = post(guest, f"/g/{draft.slug}/upload/")
    page = post(guest, f"/g/{closed.slug}/upload/", accept="text/html")

    for response, status, words in (
        (not_found, 404, "not here any more"),
        (no_csrf, 403, "session may have ended"),
        (gallery_closed, 410, "has closed"),
        (gallery_draft, 404, "not here any more"),
    ):
        assert response.status_code == status
        [result] = response.json()["results"]
        assert result["ok"] is False and words in result["message"] and result["retry"] is False
    assert page.status_code == 410 and page["Content-Type"].startswith("text/html")
    assert _stored(settings) == []
