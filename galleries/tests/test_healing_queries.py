"""The healing sweeps ask the queue in the database which rows have a live task
(ops.services.stuck_rows_put_right): a constant number of queries whatever the length
of the queue, where each worker used to read every live task's arguments every minute."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from faces.healing import photo_faces_requeue_stuck
from faces.models import PhotoFaces
from faces.services.indexing import _enqueue_indexing
from galleries.healing import photos_requeue_stuck
from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_HEARTBEAT_MAX_AGE_S = 60


def queued_long_ago(count: int) -> list[Photo]:
    """Photos pending for longer than a heartbeat age, each with its task still in the queue."""
    gallery = make_gallery()
    photos = [upload_photo(gallery, process=False) for _ in range(count)]
    Photo.objects.update(queued_at=timezone.now() - timedelta(minutes=10))
    return photos


@pytest.mark.parametrize("queue_length", [2, 20])
def test_a_sweep_over_a_long_queue_with_nothing_stuck_is_one_query(
    transactional_db, django_assert_num_queries, queue_length
):
    queued_long_ago(queue_length)
    assert DBTaskResult.objects.filter(status="READY").count() == queue_length

    with django_assert_num_queries(1) as queries:
        assert photos_requeue_stuck() == 0

    selected = queries.captured_queries[0]["sql"].split(" FROM ")[0]
    assert "args_kwargs" not in selected  # no task's arguments are read


def test_among_photos_with_live_tasks_only_the_one_without_is_queued_again(transactional_db):
    photos = queued_long_ago(3)
    DBTaskResult.objects.filter(args_kwargs__kwargs__photo_id=photos[1].pk).update(status="SUCCESSFUL")

    assert photos_requeue_stuck() == 1

    live = DBTaskResult.objects.filter(status="READY")
    assert sorted(live.values_list("args_kwargs__kwargs__photo_id", flat=True)) == sorted(p.pk for p in photos)
    assert photos_requeue_stuck() == 0  # its new task is live


@pytest.mark.parametrize("queue_length", [2, 20])
def test_a_face_sweep_over_a_long_queue_with_nothing_stuck_is_one_query(
    transactional_db, django_assert_num_queries, queue_length
):
    photos = queued_long_ago(queue_length)
    DBTaskResult.objects.all().delete()
    Photo.objects.update(status=Photo.Status.READY)
    for photo in photos:
        PhotoFaces.objects.create(photo=photo, gallery=photo.gallery, queued_at=timezone.now() - timedelta(minutes=10))
        _enqueue_indexing(photo_id=photo.pk)

    with django_assert_num_queries(1):
        assert photo_faces_requeue_stuck() == 0

    DBTaskResult.objects.filter(args_kwargs__kwargs__photo_id=photos[0].pk).delete()  # an enqueue lost
    assert photo_faces_requeue_stuck() == 1
