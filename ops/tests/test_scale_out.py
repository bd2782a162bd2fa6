"""Scale-out on real processes: three workers (manage.py run_worker) that share nothing
but the PostgreSQL database and an S3 bucket (moto in server mode on loopback), each in
a working folder and temporary folder of its own and without MEDIA_ROOT, as workers on
three machines would run. Worker A is killed with SIGKILL in the middle of a task once
it has finished three; worker C starts late, once some photos are ready.

What "once" means with SIGKILL: the queue hands each task to one worker at a time
(django-tasks-db's SELECT ... FOR UPDATE SKIP LOCKED), so each photo has one processing
task and one face indexing task, each finished by exactly one worker. The task A was
running when it died is the one exception by design: A's heartbeat goes stale, another
worker's sweep puts the same task back in the queue (healing), and a live worker runs
it again from the start. That photo may thus be processed twice, under the same task,
which then names two workers; its second run deletes what the first left in storage."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from conftest import database_url
from faces.models import Face, PhotoFaces
from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.models import Photo
from galleries.tests.factories import unique_jpeg, upload_photo
from ops.tests.gunicorn_server import REPOSITORY
from ops.tests.test_worker_faults import FAST_HEALING, kill, wait_for

pytestmark = [
    pytest.mark.s3,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite is a file on one machine: workers on several machines share a PostgreSQL server",
    ),
]

PHOTOS = 60
FACE_PHOTOS = 12
PROCESS = "galleries.tasks.process_photo"
INDEX = "faces.tasks.index_photo_faces"


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def bucket(s3_server, settings) -> str:
    """A fresh bucket, which this process (the organizer's uploads) stores in too."""
    from eventgallery.s3 import s3_storage_settings

    name = f"scale-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(
            bucket=name,
            access_key="testing",
            secret_key="testing",
            region="us-east-1",
            endpoint_url=s3_server.endpoint_url,
            addressing_style="path",
            read_timeout=10,
            max_attempts=2,
        ),
    }
    return name


@pytest.fixture
def machine(tmp_path, s3_server, bucket):
    """machine(name) starts `manage.py run_worker` as a machine of its own would: its own
    working and temporary folders, no MEDIA_ROOT, the database and the bucket as the
    only things it shares. Every process still running at the end is killed."""
    processes = []

    def start(name: str) -> subprocess.Popen:
        folder = tmp_path / f"machine-{name}"
        (folder / "tmp").mkdir(parents=True)
        env = {key: value for key, value in os.environ.items() if key != "MEDIA_ROOT"}
        env.update(
            DATABASE_URL=database_url(),
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            LOG_FORMAT="text",
            TMPDIR=str(folder / "tmp"),
            AWS_STORAGE_BUCKET_NAME=bucket,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_S3_REGION_NAME="us-east-1",
            AWS_S3_ENDPOINT_URL=s3_server.endpoint_url,
            AWS_S3_ADDRESSING_STYLE="path",
            AWS_S3_READ_TIMEOUT="10",
            AWS_S3_MAX_ATTEMPTS="2",
            **FAST_HEALING,
        )
        log_path = folder / "worker.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(REPOSITORY / "manage.py"), "run_worker", "--no-reload", "--no-startup-delay"]
                + ["--interval", "0.1", "--worker-id", name],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process.log_path = log_path
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def face_shots() -> list[bytes]:
    """FACE_PHOTOS different JPEGs of the project's group photo (six real faces): crops
    that start further right each time, so that each file is new and has faces."""
    group = face_images.group_photo()
    return [jpeg(group.crop((number * 8, 0, 1280, 886))) for number in range(FACE_PHOTOS)]


def tasks_of(worker: str, *, status: str) -> list[DBTaskResult]:
    return [task for task in DBTaskResult.objects.filter(status=status) if task.worker_ids[-1:] == [worker]]


def stored_keys(s3_server, bucket: str) -> list[str]:
    pages = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def test_three_workers_on_separate_machines_process_each_photo_once(machine, s3_server, bucket):
    gallery = face_search_gallery()
    contents = face_shots() + [unique_jpeg() for _ in range(PHOTOS - FACE_PHOTOS)]
    photos = [
        upload_photo(gallery, content=content, filename=f"IMG_{number:04d}.jpg", process=False)
        for number, content in enumerate(contents)
    ]
    face_photo_ids = {photo.pk for photo in photos[:FACE_PHOTOS]}

    worker_a, worker_b = machine("A"), machine("B")
    wait_for(
        lambda: len(tasks_of("A", status="SUCCESSFUL")) >= 3 and tasks_of("A", status="RUNNING"),
        what="worker A in a task after finishing three",
        process=worker_a,
    )
    kill(worker_a)
    killed = tasks_of("A", status="RUNNING")
    assert len(killed) == 1, "A was killed between two tasks: nothing for the others to take over"

    wait_for(
        lambda: Photo.objects.filter(gallery=gallery, status=Photo.Status.READY).count() >= 6,
        what="a few photos ready before worker C starts",
        process=worker_b,
    )
    worker_c = machine("C")

    def all_done():
        ready = Photo.objects.filter(gallery=gallery, status=Photo.Status.READY).count() == PHOTOS
        indexed = PhotoFaces.objects.filter(photo__gallery=gallery, status=PhotoFaces.Status.INDEXED).count() == PHOTOS
        return ready and indexed and not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

    wait_for(all_done, what="every photo ready and indexed", timeout=240, process=worker_c)
    assert worker_b.poll() is None, worker_b.log_path.read_text()[-3000:]

    # One processing task and one indexing task per photo, and no other task.
    tasks = list(DBTaskResult.objects.all())
    assert Counter((task.task_path, task.args_kwargs["kwargs"]["photo_id"]) for task in tasks) == Counter(
        [(PROCESS, photo.pk) for photo in photos] + [(INDEX, photo.pk) for photo in photos]
    )
    # Each finished by one worker; only the task A died in names two: A, then a live one.
    [killed_task] = killed
    for task in tasks:
        if task.pk == killed_task.pk:
            assert task.worker_ids[0] == "A" and len(task.worker_ids) == 2 and task.worker_ids[1] in {"B", "C"}
        else:
            assert len(task.worker_ids) == 1, (task.task_path, task.worker_ids)
    finished_by = Counter(task.worker_ids[-1] for task in tasks)
    assert finished_by["A"] >= 3 and finished_by["B"] >= 1 and finished_by["C"] >= 1, finished_by

    # Processed once: one run per photo. The photo whose processing A died in had two
    # if A had begun it (counted its attempt) before it died, else one.
    rerun = killed_task.args_kwargs["kwargs"]["photo_id"] if killed_task.task_path == PROCESS else None
    for photo in Photo.objects.filter(gallery=gallery):
        assert photo.error == ""
        assert photo.processing_attempts in ({1, 2} if photo.pk == rerun else {1}), photo.pk
    # Indexed once, in the same way; each photo's faces are those its index counts,
    # with no box twice; the photos of people have faces, the others none.
    reindexed = killed_task.args_kwargs["kwargs"]["photo_id"] if killed_task.task_path == INDEX else None
    for photo_faces in PhotoFaces.objects.filter(photo__gallery=gallery):
        assert photo_faces.attempts in ({1, 2} if photo_faces.photo_id == reindexed else {1}), photo_faces.photo_id
        faces = Face.objects.filter(photo_id=photo_faces.photo_id)
        boxes = [(f.box_left, f.box_top, f.box_width, f.box_height) for f in faces]
        assert len(boxes) == len(set(boxes)) == photo_faces.face_count, photo_faces.photo_id
        assert (photo_faces.face_count > 0) == (photo_faces.photo_id in face_photo_ids), photo_faces.photo_id

    # Each file in the bucket once, and only those the photos name: no orphan of A's
    # half-done run, no derivative stored twice by two workers.
    photos = list(Photo.objects.filter(gallery=gallery))
    assert all(len(photo.stored_names) == 4 for photo in photos)  # original, thumb, middle, display
    keys = stored_keys(s3_server, bucket)
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(name for photo in photos for name in photo.stored_names)
    # Nothing left behind in the working folders of the machines that lived.
    for worker in (worker_b, worker_c):
        assert not list((worker.log_path.parent / "tmp").iterdir())
