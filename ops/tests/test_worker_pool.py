"""`manage.py run_worker` as a pool of worker processes (ops/worker_pool.py), as
`make run` and the image start it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from ops.models import WorkerHeartbeat
from ops.tests.gunicorn_server import database_url

ROOT = Path(django_settings.BASE_DIR)


def _until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return result


def _heartbeats() -> dict[str, int]:
    return dict(WorkerHeartbeat.objects.values_list("worker_id", "pid"))


@pytest.mark.django_db(transaction=True)
def test_a_pool_runs_its_workers_niced_starts_a_dead_one_again_and_stops_them_all(tmp_path):
    pool = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--no-reload", "--worker-id", "pool"],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "WORKER_PROCESSES": "2",
            "WORKER_NICE": "7",
            "WORKER_ALIVE_FILE": str(tmp_path / "alive"),
            "WORKER_HEARTBEAT_INTERVAL_S": "0.2",
            "LOG_LEVEL": "WARNING",
        },
        cwd=ROOT,
    )
    try:
        workers = _until(lambda: len(_heartbeats()) == 2 and _heartbeats(), timeout=60, what="two workers")
        assert set(workers) == {"pool-0", "pool-1"}
        assert pool.pid not in workers.values()
        for pid in workers.values():
            assert os.getpriority(os.PRIO_PROCESS, pid) >= 7
        assert {path.name for path in tmp_path.glob("alive-*")} == {"alive-0", "alive-1"}

        os.kill(workers["pool-1"], signal.SIGKILL)
        _until(
            lambda: _heartbeats().get("pool-1") not in (None, workers["pool-1"]),
            timeout=60,
            what="the killed worker was not started again",
        )

        pool.send_signal(signal.SIGINT)  # a Ctrl+C: each worker is asked once, and finishes
        assert pool.wait(timeout=60) == 0
    finally:
        if pool.poll() is None:
            pool.kill()
    for pid in _heartbeats().values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not _heartbeats(), "a worker that stops removes its heartbeat"
