import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django_tasks.signals import task_started

from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo
from ops.models import WorkerHeartbeat
from ops.services import Heartbeat


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_it_processes_tasks_with_a_heartbeat_and_removes_it_when_it_stops(database_task_backend, transactional_db):
    photo = upload_photo(make_gallery(), process=False)
    seen_while_working = []

    def look_at_heartbeats(**kwargs):
        seen_while_working.extend(WorkerHeartbeat.objects.values_list("worker_id", flat=True))

    task_started.connect(look_at_heartbeats)
    try:
        call_command(
            "run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="worker-under-test"
        )
    finally:
        task_started.disconnect(look_at_heartbeats)

    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.READY
    assert seen_while_working == ["worker-under-test"]
    assert not WorkerHeartbeat.objects.exists()


def test_the_heartbeat_is_touched_from_its_own_thread(transactional_db):
    heartbeat = Heartbeat(worker_id="beating", interval=0.05)
    heartbeat.start()
    try:
        first = WorkerHeartbeat.objects.get(worker_id="beating").last_seen_at
        deadline = time.monotonic() + 5
        while WorkerHeartbeat.objects.get(worker_id="beating").last_seen_at == first:
            assert time.monotonic() < deadline, "the heartbeat was not touched again"
            time.sleep(0.05)
        row = WorkerHeartbeat.objects.get(worker_id="beating")
        assert row.pid == os.getpid()
    finally:
        heartbeat.stop()

    assert not WorkerHeartbeat.objects.exists()


def test_a_beat_deletes_the_rows_of_workers_dead_for_a_day(db):
    from datetime import timedelta

    from django.utils import timezone

    from ops.services import heartbeat_beat

    long_ago = timezone.now() - timedelta(days=2)
    WorkerHeartbeat.objects.create(worker_id="dead", hostname="h", pid=1, started_at=long_ago, last_seen_at=long_ago)

    heartbeat_beat(worker_id="alive", started_at=timezone.now())

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


def test_its_logs_are_json_lines_in_production(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "worker-log-test-secret-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    env.pop("LOG_FORMAT", None)
    manage = [sys.executable, "manage.py"]
    cwd = Path(django_settings.BASE_DIR)
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=cwd, check=True)

    worker = subprocess.run(
        [*manage, "run_worker", "--batch", "--no-startup-delay", "--no-reload"],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )

    lines = [json.loads(line) for line in (worker.stdout + worker.stderr).splitlines() if line.strip()]
    assert {line["logger"] for line in lines} == {"django_tasks_db"}
    assert lines[0]["message"].startswith("Starting worker")


def test_the_heartbeat_stops_while_the_worker_loop_is_stuck(transactional_db):
    loop_alive = True
    heartbeat = Heartbeat(worker_id="stuck", interval=0.05, is_alive=lambda: loop_alive)
    heartbeat.start()
    try:
        loop_alive = False
        time.sleep(0.2)  # a beat that had begun may still land
        stuck_since = WorkerHeartbeat.objects.get(worker_id="stuck").last_seen_at
        time.sleep(0.5)
        assert WorkerHeartbeat.objects.get(worker_id="stuck").last_seen_at == stuck_since

        loop_alive = True
        deadline = time.monotonic() + 5
        while WorkerHeartbeat.objects.get(worker_id="stuck").last_seen_at == stuck_since:
            assert time.monotonic() < deadline, "the heartbeat did not resume"
            time.sleep(0.05)
    finally:
        heartbeat.stop()


def test_the_worker_loop_is_alive_while_it_goes_round_runs_a_task_or_waits_for_the_database(settings):
    from ops.management.commands.run_worker import Worker

    settings.WORKER_HEARTBEAT_MAX_AGE_S = 2
    worker = Worker(
        queue_names=["default"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )
    assert worker.is_alive()
    worker.last_progress -= 2.5  # its interval (1 s) and half the heartbeat age
    assert not worker.is_alive()
    worker.running_task = True
    assert worker.is_alive()
    worker.running_task = False
    worker._database_lost = True
    assert worker.is_alive()
