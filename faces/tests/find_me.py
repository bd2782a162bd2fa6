"""Builders for the Find me page tests: galleries with face search on, photos of real
faces indexed by the real local engine, selfies as browsers upload them."""

from __future__ import annotations

import contextlib
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from faces import search
from faces.engines.local import LocalEngine
from faces.models import Face
from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo


def find_me_url(gallery) -> str:
    return f"/g/{gallery.slug}/find-me/"


def jpeg(image: Image.Image, *, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def selfie_file(image: Image.Image | None = None, *, content: bytes | None = None, name: str = "selfie.jpg"):
    """The selfie as a phone's browser sends it."""
    return SimpleUploadedFile(name, content if content is not None else jpeg(image), content_type="image/jpeg")


def results_token(gallery, *, you: list[Photo], maybe: list[Photo] = ()) -> str:
    """The results token of a search that found these photos, strongest first: those
    that are "you", then the maybes."""
    from faces.services.results_token import find_me_results_token
    from faces.services.search import PhotoMatch, SearchResult

    matches = [
        PhotoMatch(
            photo=photo,
            # An id, as the face index gives one: hide requests name the face to blur by it.
            face=Face(pk=1000 + number, box_left=0.25, box_top=0.125, box_width=0.2, box_height=0.3),
            similarity=99.0 - number,
            is_sure=photo in you,
        )
        for number, photo in enumerate([*you, *maybe])
    ]
    result = SearchResult(matches=matches, faces_in_selfie=1, describe_ms=0, search_ms=0)
    return find_me_results_token(gallery=gallery, result=result)


def face_search_gallery(**fields):
    gallery = make_gallery(face_search_enabled=True, **fields)
    # Each process keeps searched galleries' faces by gallery id, and a test database
    # rolled back after a test may hand the same id to the next test's gallery.
    search.forget(gallery.pk)
    return gallery


def add_photos(gallery, images: list[Image.Image], capture) -> list[Photo]:
    """Uploads the images as an organizer would; processing and face indexing run at
    commit, as the worker would run them. `capture` is pytest-django's
    django_capture_on_commit_callbacks."""
    photos = []
    with capture(execute=True):
        for number, image in enumerate(images, start=1):
            photos.append(upload_photo(gallery, content=jpeg(image), filename=f"IMG_{number:04d}.jpg", process=False))
    for photo in photos:
        photo.refresh_from_db()
        assert photo.is_ready, photo.error
    return photos


def face_on(photo: Photo, point: tuple[float, float]) -> Face:
    """The face of the photo whose box contains the point (pixels of the photo)."""
    x, y = point[0] / photo.width, point[1] / photo.height
    [face] = [
        face
        for face in photo.faces.all()
        if face.box_left <= x < face.box_left + face.box_width and face.box_top <= y < face.box_top + face.box_height
    ]
    return face


@contextlib.contextmanager
def each_photo_indexed_once():
    """The local engine indexes each distinct image once and gives the same faces for
    it afterwards: a photo of the group takes about a second to index, and every test
    uploads it again into a gallery of its own."""
    original = LocalEngine.index
    found: dict[tuple, list] = {}

    def index(self, image, *, collection, photo_id):
        key = (image.size, image.mode, self.min_face_px, hashlib.sha256(image.tobytes()).digest())
        if key not in found:
            found[key] = original(self, image, collection=collection, photo_id=photo_id)
        return found[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalEngine, "index", index)
        yield
