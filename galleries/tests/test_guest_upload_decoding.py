"""A guest's upload is never decoded in the web process: the request checks its header
and structure, stores the file and its row and queues its processing; the worker
decodes it, and a file it finds damaged fails there, kept with its row for the
organizer and never shown to guests."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from galleries.models import Gallery, Photo, guest_visible_q
from galleries.tests.bombs import red_team_webp
from galleries.tests.decoding_turns import record_decodes
from galleries.tests.factories import make_gallery, unique_jpeg
from galleries.tests.images import png_bytes

JSON = {"Accept": "application/json"}


def _send(client, gallery, name: str, content: bytes, content_type: str = "image/jpeg"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"/g/{gallery.slug}/upload/", {"name": "Ann", "photos": [upload]}, headers=JSON)


def _stored_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _png_damaged_under_valid_checksums() -> bytes:
    """A whole PNG (every chunk there, every CRC right) whose image data cannot be inflated."""
    data = bytearray(png_bytes(320, 240, color=(10, 200, 90)))
    start = data.index(b"IDAT") + 4
    length = int.from_bytes(data[start - 8 : start - 4], "big")
    data[start + 2 : start + length] = bytes(length - 2)
    data[start + length : start + length + 4] = zlib.crc32(data[start - 4 : start + length]).to_bytes(4, "big")
    return bytes(data)


@pytest.fixture
def gallery(db):
    return make_gallery(guest_uploads=Gallery.GuestUploads.OPEN)


def test_the_request_stores_a_guests_photo_without_decoding_it_and_the_worker_does(
    client, gallery, monkeypatch, django_capture_on_commit_callbacks
):
    with pytest.MonkeyPatch.context() as patch:
        decoded = record_decodes(patch)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = _send(client, gallery, "party.jpg", unique_jpeg(width=1200, height=900))
        assert decoded == []

    assert response.status_code == 201
    photo = gallery.photos.get()
    assert (photo.status, photo.width, photo.height) == (Photo.Status.PENDING, 1200, 900)
    assert _stored_files() == [photo.original.name]

    decoded = record_decodes(monkeypatch)
    for callback in queued:
        callback()
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert "JpegImageFile" in decoded


def test_the_red_teams_webp_from_a_guest_is_stored_without_being_decoded(
    client, gallery, django_capture_on_commit_callbacks
):
    bomb = red_team_webp()
    with pytest.MonkeyPatch.context() as patch:
        decoded = record_decodes(patch)
        # Processing is queued, not run: the worker would decode it (seconds, gigabytes).
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = _send(client, gallery, "bomb.webp", bomb, "image/webp")

    assert decoded == []
    assert response.status_code == 201
    photo = gallery.photos.get()
    assert (photo.format, photo.width, photo.height, photo.status) == ("WEBP", 12_000, 12_000, Photo.Status.PENDING)
    assert len(queued) == 1


def test_a_guests_file_the_worker_finds_damaged_fails_there_and_is_never_shown(
    client, gallery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, gallery, "broken.png", _png_damaged_under_valid_checksums(), "image/png")

    assert response.status_code == 201
    photo = gallery.photos.get()
    assert photo.status == Photo.Status.FAILED
    assert photo.error.startswith("The file is damaged or incomplete (")
    assert not photo.is_guest_visible
    assert not gallery.photos.filter(guest_visible_q()).exists()
    # The row keeps its original (the organizer sees why it failed); no derivative is left.
    assert _stored_files() == [photo.original.name]
    page = client.get(f"/g/{gallery.slug}/")
    assert str(photo.key) not in page.text


def test_a_guests_file_cut_off_is_refused_at_once_and_leaves_nothing(client, gallery):
    content = unique_jpeg(width=800, height=600)

    response = _send(client, gallery, "cut.jpg", content[: len(content) // 2])

    assert response.status_code == 400
    [result] = response.json()["results"]
    assert result["message"].startswith("The file is damaged or incomplete (")
    assert not gallery.photos.exists()
    assert _stored_files() == []
