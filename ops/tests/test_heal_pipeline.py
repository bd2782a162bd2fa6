"""Healing the pipeline (ops.services.pipeline_heal, manage.py heal_pipeline): what the
workers do every WORKER_SWEEP_INTERVAL_S. The workers' deaths themselves are in
test_worker_faults.py; here their leftovers are made as a dead worker leaves them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from faces.models import PhotoFaces
from faces.tests.find_me import face_search_gallery
from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo
from ops.models import WorkerHeartbeat
from ops.services import pipeline_heal, tasks_requeue_orphaned


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_HEARTBEAT_MAX_AGE_S = 60


def beat(worker_id: str, *, seconds_ago: float) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"hostname": "h", "pid": 1, "started_at": at, "last_seen_at": at}
    )


def claimed_task(photo: Photo, *, worker_id: str, seconds_ago: float) -> DBTaskResult:
    """The photo's processing task as a worker left it when it died in the middle of it."""
    task = DBTaskResult.objects.get(args_kwargs__kwargs__photo_id=photo.pk)
    task.claim(worker_id)
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - timedelta(seconds=seconds_ago))
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PROCESSING, processing_attempts=1)
    return DBTaskResult.objects.get(pk=task.pk)


def test_it_queues_again_the_task_of_a_worker_whose_heartbeat_is_stale(transactional_db):
    photo = upload_photo(make_gallery(), process=False)
    beat("dead", seconds_ago=61)
    task = claimed_task(photo, worker_id="dead", seconds_ago=90)

    report = pipeline_heal()

    task.refresh_from_db()
    assert (report.tasks, report.photos) == (1, 0)
    assert task.status == "READY"
    assert task.worker_ids == ["dead"]
    # Its photo has a live task again: it is not queued twice.
    assert DBTaskResult.objects.count() == 1


def test_it_leaves_alone_the_tasks_of_live_workers_and_those_just_claimed(transactional_db):
    gallery = make_gallery()
    alive, just_started = upload_photo(gallery, process=False), upload_photo(gallery, process=False)
    beat("alive", seconds_ago=5)
    claimed_task(alive, worker_id="alive", seconds_ago=600)
    claimed_task(just_started, worker_id="no-heartbeat-yet", seconds_ago=1)

    assert not pipeline_heal()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}


def test_a_worker_back_from_a_database_outage_queues_again_what_it_was_running(transactional_db):
    photo = upload_photo(make_gallery(), process=False)
    beat("me", seconds_ago=0)
    task = claimed_task(photo, worker_id="me", seconds_ago=0)

    assert tasks_requeue_orphaned() == 0
    assert tasks_requeue_orphaned(worker_id="me") == 1
    task.refresh_from_db()
    assert task.status == "READY"


def test_a_task_whose_workers_keep_dying_fails_instead_of_looping(transactional_db, settings):
    settings.TASK_MAX_ATTEMPTS = 2
    photo = upload_photo(make_gallery(), process=False)
    task = DBTaskResult.objects.get()
    task.claim("first")
    claimed_task(photo, worker_id="second", seconds_ago=600)

    pipeline_heal()

    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path == "ops.services.WorkerLost"
    # The photo, stuck in processing without a live task, is queued again; it fails
    # only once it has been processed TASK_MAX_ATTEMPTS times.
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING
    assert photo.error == "The worker stopped while processing this photo; queued again."


def test_a_photo_stuck_in_processing_is_queued_again_until_it_has_run_too_often(transactional_db, settings):
    settings.TASK_MAX_ATTEMPTS = 3
    gallery = make_gallery()
    stuck, given_up = upload_photo(gallery, process=False), upload_photo(gallery, process=False)
    DBTaskResult.objects.update(status="SUCCESSFUL")  # the tasks ended; the photos did not
    Photo.objects.filter(pk=stuck.pk).update(status=Photo.Status.PROCESSING, processing_attempts=1)
    Photo.objects.filter(pk=given_up.pk).update(status=Photo.Status.PROCESSING, processing_attempts=3)

    assert pipeline_heal().photos == 2
    assert pipeline_heal().photos == 0  # a second worker sweeping finds nothing to do

    stuck.refresh_from_db()
    given_up.refresh_from_db()
    assert stuck.status == Photo.Status.PENDING
    assert DBTaskResult.objects.filter(status="READY", args_kwargs__kwargs__photo_id=stuck.pk).count() == 1
    assert given_up.status == Photo.Status.FAILED
    assert given_up.error.startswith("Processing stopped 3 times without finishing (the worker was lost")


def test_a_photo_pending_without_a_task_is_queued_again_once_it_has_waited_a_heartbeat_age(transactional_db):
    gallery = make_gallery()
    lost, _recent = upload_photo(gallery, process=False), upload_photo(gallery, process=False)
    DBTaskResult.objects.all().delete()  # the enqueues that never happened
    Photo.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(seconds=61))

    assert pipeline_heal().photos == 1

    assert list(DBTaskResult.objects.values_list("args_kwargs__kwargs__photo_id", flat=True)) == [lost.pk]


def test_a_face_index_stuck_in_indexing_is_queued_again(transactional_db, settings):
    photo = upload_photo(face_search_gallery())
    DBTaskResult.objects.all().delete()
    PhotoFaces.objects.filter(photo=photo).update(status=PhotoFaces.Status.INDEXING, attempts=1)

    assert pipeline_heal().face_indexes == 1

    photo_faces = PhotoFaces.objects.get(photo=photo)
    assert photo_faces.status == PhotoFaces.Status.PENDING
    assert photo_faces.error == "The worker stopped while indexing this photo; queued again."
    assert DBTaskResult.objects.get().task_path == "faces.tasks.index_photo_faces"


def test_operators_can_heal_the_pipeline_by_hand(transactional_db):
    photo = upload_photo(make_gallery(), process=False)
    beat("dead", seconds_ago=61)
    claimed_task(photo, worker_id="dead", seconds_ago=90)
    out = StringIO()

    call_command("heal_pipeline", stdout=out)

    assert out.getvalue() == (
        "Swept: 1 task(s) of lost workers queued again, 0 stuck photo(s) queued again, "
        "0 closed gallery(ies) whose face data was deleted, 0 file(s) without a row deleted, "
        "0 stuck face index(es) queued again, 0 old task result(s) deleted, 0 unattached API upload(s) deleted.\n"
    )
