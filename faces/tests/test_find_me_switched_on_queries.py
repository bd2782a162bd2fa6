"""Switching Find me on queues the gallery's photos in the same number of queries
whatever their number (the admin's transaction holds them), and with the priorities
each photo would have had queued alone (galleries/task_priorities.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from faces.models import PhotoFaces
from faces.services.indexing import gallery_face_search_switched
from galleries.task_priorities import FACE_INDEXING, FAIR_SHARE_PHOTOS
from galleries.tests.factories import bulk_ready_photos, make_gallery

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _switch_on(photos: int, capture) -> tuple[int, int]:
    """Switches Find me on for a gallery of `photos` ready photos: the queries inside the
    transaction, and those run once it commits."""
    gallery = make_gallery()
    bulk_ready_photos(gallery, photos)
    gallery.face_search_enabled = True
    gallery.save(update_fields=["face_search_enabled"])
    with capture() as callbacks, CaptureQueriesContext(connection) as in_transaction:
        assert gallery_face_search_switched(gallery=gallery) == photos
    with CaptureQueriesContext(connection) as on_commit:
        for callback in callbacks:
            callback()
    return len(in_transaction), len(on_commit)


def test_it_queues_20_and_80_photos_in_the_same_number_of_queries(
    database_task_backend, django_capture_on_commit_callbacks
):
    twenty = _switch_on(20, django_capture_on_commit_callbacks)
    eighty = _switch_on(80, django_capture_on_commit_callbacks)

    assert twenty[0] == eighty[0] <= 6
    # Once committed: one query ranks the photos, then django-tasks-db stores each task.
    assert (twenty[1], eighty[1]) == (1 + 20, 1 + 80)
    assert PhotoFaces.objects.filter(status=PhotoFaces.Status.PENDING).count() == 100


def test_it_gives_each_photo_its_galleries_fair_share(database_task_backend, django_capture_on_commit_callbacks):
    photos = 2 * FAIR_SHARE_PHOTOS + 3
    _switch_on(photos, django_capture_on_commit_callbacks)

    tasks = sorted(
        DBTaskResult.objects.values_list("args_kwargs", "priority"), key=lambda t: t[0]["kwargs"]["photo_id"]
    )
    priorities = [priority for _, priority in tasks]

    assert (
        priorities
        == [FACE_INDEXING] * FAIR_SHARE_PHOTOS + [FACE_INDEXING - 1] * FAIR_SHARE_PHOTOS + [FACE_INDEXING - 2] * 3
    )
