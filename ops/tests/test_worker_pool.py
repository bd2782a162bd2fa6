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


_BLAS_THREADS = """
import sys
from threadpoolctl import threadpool_info
if sys.argv[1] == "limited":
    from ops.worker_pool import one_blas_thread
    one_blas_thread()
else:
    import numpy  # noqa: F401
print(max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"))
"""


def test_a_worker_runs_the_numerical_library_on_one_thread():
    def blas_threads(mode: str) -> int:
        environment = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")}
        answer = subprocess.run(
            [sys.executable, "-c", _BLAS_THREADS, mode],
            cwd=django_settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(answer.stdout.strip())

    if os.cpu_count() and os.cpu_count() > 1:
        assert blas_threads("default") > 1  # what the workers would run with, left alone
    assert blas_threads("limited") == 1
