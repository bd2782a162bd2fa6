"""Each process's search cache (faces/search.py) against changes another process makes:
a real second Django process on the same database (PostgreSQL, or SQLite in a file)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faces.models import Face
from faces.services.indexing import gallery_face_search_switched
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import add_photos, face_search_gallery
from galleries.services.photos import photo_delete
from ops.tests.gunicorn_server import database_url

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH_PROCESS = Path(__file__).with_name("search_process.py")


class SearchProcess:
    """faces/tests/search_process.py, running: it keeps its cache between questions."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(SEARCH_PROCESS)],
            env={**os.environ, "DATABASE_URL": database_url()},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def cached_faces(self, gallery) -> list[int]:
        self.process.stdin.write(f"{gallery.pk}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the search process stopped"
        return json.loads(line)

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def search_process():
    process = SearchProcess()
    yield process
    process.stop()


def _person_photo(centre):
    return face_images.selfie_of(face_images.group_photo(), centre, face_px=110, angle=4.0, quality=80)


def _faces_in_the_database(gallery) -> list[int]:
    return sorted(Face.objects.filter(gallery=gallery).values_list("pk", flat=True))


def _switch_find_me(gallery, on: bool) -> None:
    gallery.face_search_enabled = on
    gallery.save(update_fields=["face_search_enabled"])
    gallery_face_search_switched(gallery=gallery)


def test_it_does_not_search_a_deleted_collections_faces_after_find_me_is_switched_off_and_on(
    search_process, django_capture_on_commit_callbacks
):
    gallery = face_search_gallery()
    first, second = add_photos(
        gallery,
        [_person_photo(GROUP_PHOTO_FACE_CENTRES[1]), _person_photo(GROUP_PHOTO_FACE_CENTRES[3])],
        django_capture_on_commit_callbacks,
    )
    before = _faces_in_the_database(gallery)
    assert len(before) == 2
    assert search_process.cached_faces(gallery) == before

    _switch_find_me(gallery, False)
    photo_delete(photo=first)
    _switch_find_me(gallery, True)  # the photo left is indexed again, at commit: a new collection at revision 0

    after = _faces_in_the_database(gallery)
    assert len(after) == 1 and not set(after) & set(before)
    assert search_process.cached_faces(gallery) == after


def test_it_drops_a_deleted_photos_faces_and_sees_those_added(search_process, django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    first, second = add_photos(
        gallery,
        [_person_photo(GROUP_PHOTO_FACE_CENTRES[1]), _person_photo(GROUP_PHOTO_FACE_CENTRES[3])],
        django_capture_on_commit_callbacks,
    )
    assert search_process.cached_faces(gallery) == _faces_in_the_database(gallery)

    photo_delete(photo=first)
    assert search_process.cached_faces(gallery) == list(second.faces.values_list("pk", flat=True))

    add_photos(gallery, [_person_photo(GROUP_PHOTO_FACE_CENTRES[5])], django_capture_on_commit_callbacks)
    assert search_process.cached_faces(gallery) == _faces_in_the_database(gallery)
    assert len(_faces_in_the_database(gallery)) == 2
