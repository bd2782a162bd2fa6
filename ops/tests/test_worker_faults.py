"""The pipeline under faults, on real processes: workers (manage.py run_worker) and an
import (manage.py import_photos) run against the test database, a worker is killed
with SIGKILL, the database and the S3 endpoint go away for 10 s behind a proxy the
test cuts (or, on SQLite, the database file goes away)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from PIL import Image

from conftest import database_url
from faces.models import PhotoFaces
from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.images import photo as flat_image

# Workers that take over from a dead one within seconds: its heartbeat is stale after
# 3 s, and every worker sweeps every second. Real time, only shorter.
FAST_HEALING = {
    "WORKER_HEARTBEAT_INTERVAL_S": "0.5",
    "WORKER_HEARTBEAT_MAX_AGE_S": "3",
    "WORKER_SWEEP_INTERVAL_S": "1",
    "WORKER_RECONNECT_MAX_DELAY_S": "2",
    "TASK_RETRY_DELAY_S": "2",
}
OUTAGE_S = 10


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def start_worker(project_process, worker_id: str, env: dict | None = None):
    return project_process(
        "run_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        "--worker-id",
        worker_id,
        env={**FAST_HEALING, **(env or {})},
    )


def wait_for(condition, *, what: str, timeout: float = 120, process=None):
    """Polls `condition` until it returns something true, and returns that. Fails
    after `timeout` seconds (a bound for a hung test, not a measure of speed), or as
    soon as `process` exits, with its output."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited ({process.returncode}):\n{_tail(process)}")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}" + (f":\n{_tail(process)}" if process else ""))
        time.sleep(0.05)


def _tail(process) -> str:
    return process.log_path.read_text(errors="replace")[-6000:]


def big_png(n: int) -> bytes:
    """A 24-megapixel PNG: about half a second of a worker's time, long enough to be
    caught in the middle of it."""
    buffer = io.BytesIO()
    flat_image(6000, 4000, color=(n * 40 % 256, 90, 200), marker=True).save(buffer, "PNG")
    return buffer.getvalue()


def kill(process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


# --- A worker killed in the middle of a task -------------------------------------------


def test_work_of_workers_killed_mid_task_is_taken_over_and_finished(transactional_db, project_process):
    # Find me is off in one gallery, whose large photo keeps a worker busy long enough
    # to be killed while it processes it; on in the other, whose faces are indexed.
    slow_gallery = make_gallery()
    large = upload_photo(slow_gallery, content=big_png(1), filename="large.png", process=False)
    faces_gallery = face_search_gallery()
    group = face_images.group_photo()
    face_photos = [
        upload_photo(faces_gallery, content=jpeg(group), filename="group.jpg", process=False),
        upload_photo(faces_gallery, content=jpeg(group.crop((0, 0, 700, 886))), filename="left.jpg", process=False),
    ]

    first = start_worker(project_process, "first")
    wait_for(
        lambda: Photo.objects.filter(pk=large.pk, status=Photo.Status.PROCESSING).exists(),
        what="the large photo's processing",
        process=first,
    )
    kill(first)
    assert Photo.objects.get(pk=large.pk).status == Photo.Status.PROCESSING

    second = start_worker(project_process, "second")
    wait_for(
        lambda: PhotoFaces.objects.filter(status=PhotoFaces.Status.INDEXING).exists(),
        what="a face indexing",
        process=second,
    )
    kill(second)
    killed_tasks = set(DBTaskResult.objects.running().values_list("pk", flat=True))

    third = start_worker(project_process, "third")

    def all_done():
        photos_ready = Photo.objects.filter(status=Photo.Status.READY).count() == 3
        faces_indexed = PhotoFaces.objects.filter(status=PhotoFaces.Status.INDEXED).count() == 2
        return photos_ready and faces_indexed and not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

    wait_for(all_done, what="every photo ready and indexed", process=third)

    assert Photo.objects.get(pk=face_photos[0].pk).faces.count() == 6
    assert set(Photo.objects.values_list("error", flat=True)) == {""}
    # Taken over, not copied: one task per photo and step, each killed one finished by
    # another worker than the one killed under it.
    tasks = list(DBTaskResult.objects.all())
    assert sorted((t.task_path, t.args_kwargs["kwargs"]["photo_id"]) for t in tasks) == sorted(
        [("galleries.tasks.process_photo", p.pk) for p in [large, *face_photos]]
        + [("faces.tasks.index_photo_faces", p.pk) for p in face_photos]
    )
    for task in tasks:
        if task.pk in killed_tasks:
            assert task.worker_ids[0] in {"first", "second"} and len(task.worker_ids) == 2
            assert task.worker_ids[1] != task.worker_ids[0]
        assert len(task.worker_ids) == len(set(task.worker_ids))


# --- The database away for 10 s --------------------------------------------------------


@contextlib.contextmanager
def database_away(tcp_proxy):
    """Yields (the database URL the worker and the web server use, a function that
    takes the database away for OUTAGE_S). PostgreSQL: through a proxy that the test
    cuts. SQLite has no server: its file goes (renamed, a folder in its place), so
    that every connection made meanwhile fails to open it, as a refused one does."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        proxy = tcp_proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
        yield database_url(port=proxy.port), lambda: proxy.down(OUTAGE_S)
    else:
        path = Path(connection.settings_dict["NAME"])

        @contextlib.contextmanager
        def file_away():
            hidden = path.with_name(path.name + ".away")
            path.rename(hidden)
            path.mkdir()
            try:
                yield
                time.sleep(OUTAGE_S)
            finally:
                path.rmdir()
                hidden.rename(path)

        yield database_url(), file_away


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    except OSError:
        return 0, {}


def test_the_worker_outlives_ten_seconds_without_its_database(transactional_db, project_process, tcp_proxy):
    gallery = make_gallery()
    photos = [upload_photo(gallery, content=big_png(n), filename=f"{n}.png", process=False) for n in range(4)]

    with database_away(tcp_proxy) as (url, outage):
        port = free_port()
        web = project_process(
            "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks", env={"DATABASE_URL": url}
        )
        wait_for(lambda: readyz(port)[0] == 503, what="/readyz waiting for a worker", process=web)
        worker = start_worker(project_process, "outliving", env={"DATABASE_URL": url})
        wait_for(lambda: Photo.objects.filter(status=Photo.Status.READY).exists(), what="a photo", process=worker)
        assert readyz(port)[0] == 200
        assert Photo.objects.exclude(status=Photo.Status.READY).exists()  # still queued when the database goes

        answers = []
        with outage():
            # The worker goes on without its database; /readyz says so.
            while len(answers) < 5:
                answers.append(readyz(port))
                time.sleep(0.5)
            assert worker.poll() is None, _tail(worker)
        assert {status for status, _ in answers} == {503}
        assert all("database" in body["failing"] for _, body in answers)

        wait_for(
            lambda: Photo.objects.filter(status=Photo.Status.READY).count() == len(photos),
            what="the queued photos",
            process=worker,
        )
        wait_for(lambda: readyz(port)[0] == 200, what="/readyz ready again", process=web)
        # A run queued again while the database was away may still be waiting out its
        # delay: the queue drains, and every photo ends ready all the same.
        wait_for(
            lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
            what="the queue drained",
            process=worker,
        )
    assert worker.poll() is None
    assert "The database does not answer" in worker.log_path.read_text()
    assert Photo.objects.filter(status=Photo.Status.READY).count() == len(photos)
    assert set(Photo.objects.values_list("error", flat=True)) == {""}


# --- The S3 endpoint away for 10 s during an import --------------------------------------


def test_an_import_and_its_processing_outlive_ten_seconds_without_s3(
    transactional_db, project_process, tcp_proxy, s3_server, tmp_path
):
    bucket = f"outage-{os.getpid()}-{int(time.time())}"
    s3 = s3_server.client()
    s3.create_bucket(Bucket=bucket)
    host, port = s3_server.endpoint_url.removeprefix("http://").split(":")
    proxy = tcp_proxy((host, int(port)))
    s3_env = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_S3_CONNECT_TIMEOUT": "1",
        # Time enough for moto to answer on a loaded machine once it is back.
        "AWS_S3_READ_TIMEOUT": "10",
        # Two tries per call, as "1" meant before it counted tries rather than retries: a
        # PUT whose answer the cut loses is sent again under the same name. With one try
        # the task's own retry stores under a new name and the first object stays behind,
        # named by no row: a gap of the pipeline that this test does not cover.
        "AWS_S3_MAX_ATTEMPTS": "2",
        **FAST_HEALING,
        # Backoff of 1, 2, 4, 8, 16 s: the 10 s outage is outlived with room to spare
        # on a loaded machine, where it ends later than the clock says for the processes.
        "TASK_MAX_ATTEMPTS": "6",
    }
    make_gallery(slug="outage")
    card = tmp_path / "card"
    card.mkdir()
    for n in range(10):
        (card / f"IMG_{n}.jpg").write_bytes(unique_jpeg())

    importing = project_process("import_photos", "outage", str(card), env=s3_env)
    wait_for(lambda: Photo.objects.exists(), what="the first photo", process=importing)
    with proxy.down(OUTAGE_S):
        # The worker starts meanwhile: the photo waiting for it needs the storage.
        worker = start_worker(project_process, "s3-outage", env=s3_env)
    assert importing.wait(timeout=120) == 0, _tail(importing)
    wait_for(
        lambda: Photo.objects.filter(status=Photo.Status.READY).count() == 10,
        what="every photo ready",
        process=worker,
    )
    # A run deletes what a lost answer left behind after it made its photo ready: the
    # storage is read once the queue has drained.
    wait_for(
        lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
        what="the queue drained",
        process=worker,
    )

    import_output = importing.log_path.read_text()
    assert "Imported 10, queued again 0, already there 0, failed 0" in import_output
    assert "Storing IMG_" in import_output and "trying again" in import_output
    assert "trying again" in worker.log_path.read_text()
    photos = list(Photo.objects.all())
    stored = {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert stored == {name for photo in photos for name in photo.stored_names}
    assert all(len(photo.stored_names) == 4 for photo in photos)  # original, thumb, middle, display
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    Image.open(io.BytesIO(s3.get_object(Bucket=bucket, Key=photos[0].thumbnail.name)["Body"].read())).verify()
