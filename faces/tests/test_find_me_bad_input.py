"""Find me with selfies it cannot use: a clear message, a 4xx status, and nothing of
the selfie stored anywhere (files, temporary files, database, logs)."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from PIL import Image

from faces.engines.base import FaceEngineError
from faces.engines.local import LocalEngine
from faces.services import search as search_services
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import add_photos, each_photo_indexed_once, face_search_gallery, find_me_url, jpeg, selfie_file
from faces.uploads import SelfieUploadHandler

SELFIE_NAME = "IMG_20250614_selfie-of-ada.jpg"


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _files_under(folder) -> list[str]:
    root = Path(folder)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _row_counts() -> dict[str, int]:
    # Rate limit counters hold a count and keyed hashes of the device and the address, nothing of the selfie.
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label != "ops.RateLimitCounter"
    }


def _stored(temp_dir) -> tuple:
    return _files_under(django_settings.MEDIA_ROOT), _files_under(temp_dir), _row_counts()


def _post(client, gallery, content: bytes, **extra):
    return client.post(find_me_url(gallery), {"selfie": selfie_file(content=content, name=SELFIE_NAME)}, **extra)


def _one_by_one_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 150, 120)).save(buffer, "PNG")
    return buffer.getvalue()


BAD_SELFIES = {
    "no face": (lambda: jpeg(face_images.table()), 400, "We could not find a face in that photo."),
    "1 x 1 pixel": (_one_by_one_png, 400, "That photo is too small to show a face."),
    "not an image": (lambda: b"%PDF-1.7\n" + b"0" * 4000, 400, "That file is not a photo we can read."),
    "an empty file": (lambda: b"", 400, "That file is empty."),
}


@pytest.mark.parametrize("kind", BAD_SELFIES)
def test_a_selfie_that_cannot_be_searched_gets_a_clear_message_and_nothing_is_kept(
    consenting_client, upload_temp_dir, kind
):
    gallery = face_search_gallery()
    make_content, status, message = BAD_SELFIES[kind]
    before = _stored(upload_temp_dir)

    response = _post(consenting_client, gallery, make_content())

    assert response.status_code == status
    assert message in response.text
    assert 'role="alert"' in response.text or 'class="errorlist' in response.text
    assert 'type="file" name="selfie"' in response.text  # ready for another try
    assert _stored(upload_temp_dir) == before


def test_a_selfie_over_the_size_limit_is_refused_before_it_is_read(
    consenting_client, upload_temp_dir, settings, monkeypatch
):
    settings.SELFIE_MAX_MB = 1
    handlers = []

    class RecordedHandler(SelfieUploadHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            handlers.append(self)

    monkeypatch.setattr("faces.uploads.SelfieUploadHandler", RecordedHandler)
    gallery = face_search_gallery()
    before = _stored(upload_temp_dir)

    response = _post(consenting_client, gallery, os.urandom(2 * 1024 * 1024))

    assert response.status_code == 413
    assert "That photo is larger than 1 MB. Take a new selfie or choose a smaller photo." in response.text
    [handler] = handlers
    assert handler.too_large
    assert handler.received == 0  # the body announced its size: not one byte of the file was kept
    assert _stored(upload_temp_dir) == before


def test_a_selfie_just_over_the_size_limit_is_dropped_once_the_limit_is_reached(
    consenting_client, upload_temp_dir, settings, monkeypatch
):
    settings.SELFIE_MAX_MB = 1
    handlers = []

    class RecordedHandler(SelfieUploadHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            handlers.append(self)

    monkeypatch.setattr("faces.uploads.SelfieUploadHandler", RecordedHandler)
    gallery = face_search_gallery()

    response = _post(consenting_client, gallery, os.urandom(1024 * 1024 + 10_000))

    assert response.status_code == 413
    [handler] = handlers
    assert handler.too_large
    assert handler.received <= 1024 * 1024 + SelfieUploadHandler.chunk_size
    assert handler.file.closed


def test_a_selfie_with_five_faces_is_refused_with_a_request_for_one_of_just_you(consenting_client, upload_temp_dir):
    gallery = face_search_gallery()
    before = _stored(upload_temp_dir)
    # The group photo without the person on the right: five faces of about one size.
    five = face_images.group_photo().crop((0, 0, 1100, 886))

    response = _post(consenting_client, gallery, jpeg(five))

    assert response.status_code == 400
    assert "Your photo shows 5 faces of about the same size, so we cannot tell which one is you" in response.text
    assert _stored(upload_temp_dir) == before


def test_a_search_stores_nothing_and_holds_the_selfie_only_in_memory(
    consenting_client, upload_temp_dir, django_capture_on_commit_callbacks, monkeypatch
):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    selfie = jpeg(selfie_of(face_images.group_photo(), GROUP_PHOTO_FACE_CENTRES[2], face_px=110))
    assert len(selfie) > django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # Django's own handlers would spool it
    seen_while_searching = []
    read_selfie = search_services.read_selfie

    def read_selfie_and_look_around(fileobj):
        seen_while_searching.append((type(fileobj.file).__name__, _files_under(upload_temp_dir)))
        return read_selfie(fileobj)

    monkeypatch.setattr("faces.services.find_me.read_selfie", read_selfie_and_look_around)
    before = _stored(upload_temp_dir)

    response = _post(consenting_client, gallery, selfie, follow=True)

    assert response.status_code == 200
    assert [tile["photo"].pk for tile in response.context["you"]] == [photo.pk]
    assert seen_while_searching == [("BytesIO", [])]
    # The one row a search leaves is its consent receipt: time, gallery, privacy text version.
    files, temp_files, rows = before
    assert _stored(upload_temp_dir) == (files, temp_files, {**rows, "faces.ConsentReceipt": 1})


def test_nothing_about_the_selfie_is_logged(consenting_client, upload_temp_dir, caplog):
    gallery = face_search_gallery()
    selfie, table = jpeg(face_images.tom_hanks()), jpeg(face_images.table())
    caplog.set_level(logging.DEBUG)

    found = _post(consenting_client, gallery, selfie)
    results = consenting_client.get(found["Location"])
    no_face = _post(consenting_client, gallery, table)

    assert (found.status_code, results.status_code, no_face.status_code) == (303, 200, 400)
    url = find_me_url(gallery)
    access_log = [(r.method, r.path, r.status) for r in caplog.records if r.name == "eventgallery.access"]
    # The results' link is logged without its query string: the results themselves.
    assert access_log == [("POST", url, 303), ("GET", f"{url}results/", 200), ("POST", url, 400)]
    logged = [(r.name, r.getMessage()) for r in caplog.records if r.name != "eventgallery.access"]
    assert logged == [("django.request", f"Bad Request: {url}")]


def test_a_large_phone_photo_within_the_limit_is_fine(consenting_client, upload_temp_dir):
    gallery = face_search_gallery()
    # 12 megapixels and 7 MB, the face filling much of the frame, as a phone takes a selfie.
    photo = Image.effect_noise((2000, 1500), 50).resize((4000, 3000), Image.Resampling.NEAREST).convert("RGB")
    photo.paste(face_images.tom_hanks().convert("RGB").resize((1800, 1800), Image.Resampling.BICUBIC), (1100, 600))
    content = jpeg(photo, quality=95)
    assert 5 * 1024 * 1024 < len(content) < django_settings.SELFIE_MAX_MB * 1024 * 1024
    before = _stored(upload_temp_dir)

    response = _post(consenting_client, gallery, content, follow=True)

    assert response.status_code == 200
    assert "We did not find you in the photos of" in response.text
    files, temp_files, rows = before
    assert _stored(upload_temp_dir) == (files, temp_files, {**rows, "faces.ConsentReceipt": 1})


def test_a_face_engine_outage_asks_the_guest_to_try_again_later(consenting_client, upload_temp_dir, monkeypatch):
    # The local engine cannot fail like this; Rekognition, down or throttled, can.
    def unavailable(self, image):
        raise FaceEngineError("Rekognition did not answer.")

    monkeypatch.setattr(LocalEngine, "describe_selfie", unavailable)
    gallery = face_search_gallery()

    response = _post(consenting_client, gallery, jpeg(face_images.tom_hanks()))

    assert response.status_code == 503
    assert "Face search is unavailable right now. Please try again in a minute." in response.text
    assert "Rekognition" not in response.text
