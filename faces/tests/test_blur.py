"""Blurring a guest's face on their request: the worker makes the photo's derivatives
again from the original with the face (the face index's box, enlarged) pixelated and
blurred until it cannot be recognised; the rest of the image is untouched, the old files
go once the new ones are stored, and guests never get the unblurred original again."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from faces import privacy
from faces.engines.local import LocalEngine
from faces.models import HideRequest
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.hide_me import CENTRE, gallery_with_the_person, hide_url, search, the_persons_face
from galleries.imaging import BLUR_MARGIN
from galleries.models import Gallery, Photo
from galleries.services.processing import photo_reprocess
from galleries.services.watermark import gallery_watermark_saved
from galleries.tests.factories import make_user


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


@pytest.fixture
def blurred(consenting_client, django_capture_on_commit_callbacks):
    """The group photo, its derivatives as they were, and the same photo once the
    person's request to blur their face has been applied (the render task run)."""
    owner = make_user(staff=True)
    gallery, (group, alone, _) = gallery_with_the_person(
        django_capture_on_commit_callbacks, owner=owner, hide_action=Gallery.HideAction.BLUR
    )
    before = {kind: _read(getattr(group, field).name) for kind, field in _KINDS.items()}
    names_before = set(group.stored_names)
    token = search(consenting_client, gallery)
    with django_capture_on_commit_callbacks(execute=True):
        response = consenting_client.post(hide_url(gallery), {"r": token, "photo": [str(group.key)]})
    assert response.status_code == 303
    group.refresh_from_db()
    return SimpleNamespace(
        owner=owner, gallery=gallery, group=group, alone=alone, before=before, names_before=names_before
    )


_KINDS = {"thumb": "thumbnail", "middle": "middle", "display": "display"}


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def _pixels(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB"), dtype=np.int16)


def _regions(photo, face, shape, *, margin_px: int):
    """Masks of the face's own box, and of what lies well outside the blurred region."""
    height, width = shape[:2]
    inside = np.zeros((height, width), bool)
    left, top = round(face.box_left * width), round(face.box_top * height)
    inside[top : top + round(face.box_height * height), left : left + round(face.box_width * width)] = True
    near = np.zeros((height, width), bool)
    x0 = max(0, int((face.box_left - BLUR_MARGIN * face.box_width) * width) - margin_px)
    y0 = max(0, int((face.box_top - BLUR_MARGIN * face.box_height) * height) - margin_px)
    x1 = int((face.box_left + (1 + BLUR_MARGIN) * face.box_width) * width) + margin_px
    y1 = int((face.box_top + (1 + BLUR_MARGIN) * face.box_height) * height) + margin_px
    near[y0:y1, x0:x1] = True
    return inside, ~near


def test_the_face_is_blurred_in_every_derivative_and_the_rest_is_untouched(blurred):
    group = blurred.group
    face = the_persons_face(group)
    assert group.is_guest_visible and group.faces_blurred and not group.hidden
    for kind, field in _KINDS.items():
        old, new = _pixels(blurred.before[kind]), _pixels(_read(getattr(group, field).name))
        assert old.shape == new.shape
        # JPEG blocks (16 px) that touch the region may change; none farther away.
        inside, far = _regions(group, face, old.shape, margin_px=16 if kind == "display" else 24)
        assert np.abs(old - new)[inside].mean() > 8, kind
        if kind == "display":
            assert np.array_equal(old[far], new[far]), kind
        else:
            # Made from the blurred display image by resizing, whose filters reach a few pixels.
            assert np.abs(old - new)[far].max() <= 2, kind


def test_the_blurred_face_can_no_longer_be_found(blurred):
    display = Image.open(io.BytesIO(_read(blurred.group.display.name))).convert("RGB")
    scale = display.width / blurred.group.width
    x, y = CENTRE[0] * scale / display.width, CENTRE[1] * scale / display.height

    faces = LocalEngine(match_distance=0.6, min_face_px=20).detect(display)

    assert len(faces) == 5  # the five others are still there
    assert not any(
        f.box.left <= x <= f.box.left + f.box.width and f.box.top <= y <= f.box.top + f.box.height for f in faces
    )


def test_the_old_files_are_deleted_once_the_new_ones_are_stored(blurred):
    names_now = set(blurred.group.stored_names)
    assert blurred.group.original.name in names_now & blurred.names_before
    for gone in blurred.names_before - {blurred.group.original.name}:
        assert not default_storage.exists(gone)
    for name in names_now:
        assert default_storage.exists(name)


def test_guests_get_the_blurred_display_image_instead_of_the_original(blurred):
    group, guest = blurred.group, Client()
    display = _read(group.display.name)

    single = guest.get(f"/photos/{group.key}/original?download=1")
    assert single.status_code == 200
    assert b"".join(single.streaming_content) == display
    with zipfile.ZipFile(
        io.BytesIO(b"".join(guest.get(f"/g/{blurred.gallery.slug}/download/").streaming_content))
    ) as z:
        assert display in [z.read(name) for name in z.namelist()]
        assert _read(group.original.name) not in [z.read(name) for name in z.namelist()]
    # Nor from the guest's favourites.
    assert guest.post(f"/g/{blurred.gallery.slug}/favourites/{group.key}/", {"favourite": "1"}).status_code == 302
    favourites = guest.get(f"/g/{blurred.gallery.slug}/favourites/download/")
    with zipfile.ZipFile(io.BytesIO(b"".join(favourites.streaming_content))) as z:
        assert [z.read(name) for name in z.namelist()] == [display]
    # Its organizer still downloads the original.
    organizer = Client()
    organizer.force_login(blurred.owner)
    assert b"".join(organizer.get(f"/photos/{group.key}/original").streaming_content) == _read(group.original.name)


def test_undoing_the_request_renders_the_face_again(blurred, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        privacy.hide_request_undo(hide_request=HideRequest.objects.get())

    group = Photo.objects.get(pk=blurred.group.pk)
    assert group.is_guest_visible and not group.faces_blurred
    assert np.abs(_pixels(_read(group.display.name)) - _pixels(blurred.before["display"])).max() <= 1


def test_without_the_face_index_a_blurred_photo_is_hidden_when_rendered_again(
    blurred, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        privacy.gallery_face_data_purge(gallery=blurred.gallery)
    with django_capture_on_commit_callbacks(execute=True):
        photo_reprocess(photos=[blurred.group])

    group = Photo.objects.get(pk=blurred.group.pk)
    assert group.hidden and not group.is_guest_visible


def test_a_request_applied_without_the_face_index_hides_instead(consenting_client, django_capture_on_commit_callbacks):
    gallery, (group, _, _) = gallery_with_the_person(
        django_capture_on_commit_callbacks, hide_requests_apply=Gallery.HideRequests.AFTER_APPROVAL
    )
    token = search(consenting_client, gallery)
    consenting_client.post(hide_url(gallery), {"r": token, "photo": [str(group.key)]})
    with django_capture_on_commit_callbacks(execute=True):
        privacy.gallery_face_data_purge(gallery=gallery)

    with django_capture_on_commit_callbacks(execute=True):
        privacy.hide_request_apply(hide_request=HideRequest.objects.get(), action=Gallery.HideAction.BLUR)

    group.refresh_from_db()
    assert group.hidden and not group.faces_blurred


def test_a_new_watermark_keeps_the_blurred_face_blurred(blurred, django_capture_on_commit_callbacks):
    gallery = blurred.gallery
    blurred_display = _pixels(_read(blurred.group.display.name))
    gallery.watermark, gallery.watermark_text = Gallery.Watermark.TEXT, "© Studio"
    gallery.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert gallery_watermark_saved(gallery=gallery, logo_before="") == gallery.photos.count()

    group = Photo.objects.get(pk=blurred.group.pk)
    assert group.watermark == gallery.watermark_signature()
    redrawn = _pixels(_read(group.display.name))
    inside, _ = _regions(group, the_persons_face(group), redrawn.shape, margin_px=0)
    # The face's region is the blurred one again, not the face under a watermark.
    assert np.abs(redrawn - blurred_display)[inside].mean() < 3
    assert np.abs(redrawn - _pixels(blurred.before["display"]))[inside].mean() > 8
