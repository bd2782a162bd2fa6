"""The image's health check (ops/container_health.py): a worker is healthy while its
task loop lives, a web server while /healthz answers."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from ops.container_health import runs_worker, web_problem, worker_problem
from ops.tests.gunicorn_server import database_url, free_port

ROOT = Path(django_settings.BASE_DIR)


def _health_check(**environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ops.container_health"],
        env={**os.environ, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _wait_for(*paths: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        assert time.monotonic() < deadline, f"{paths} never all appeared"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_worker_is_healthy_while_its_loop_goes_round_and_unhealthy_once_it_stops(tmp_path):
    alive_file = tmp_path / "worker-alive"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "WORKER_ALIVE_FILE": str(alive_file),
        "WORKER_HEARTBEAT_INTERVAL_S": "0.2",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"],
        env=environment,
        cwd=ROOT,
    )
    try:
        _wait_for(tmp_path / "worker-alive-0")
        healthy = _health_check(WORKER_ALIVE_FILE=str(alive_file), WORKER_HEARTBEAT_MAX_AGE_S="2")
        assert healthy.returncode == 0, healthy.stderr

        worker.send_signal(signal.SIGSTOP)  # a loop that no longer moves, its process still there
        try:
            time.sleep(3)
            stuck = _health_check(WORKER_ALIVE_FILE=str(alive_file), WORKER_HEARTBEAT_MAX_AGE_S="2")
        finally:
            worker.send_signal(signal.SIGCONT)
        assert stuck.returncode == 1
        assert "the loop of worker worker-alive-0 has not moved" in stuck.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_worker_without_its_file_is_unhealthy(tmp_path):
    assert "no worker has started" in worker_problem(alive_file=str(tmp_path / "never"), max_age_s=60)
    assert "not set" in worker_problem(alive_file="", max_age_s=60)


def test_the_role_is_read_from_the_processes_of_the_container(tmp_path):
    web = tmp_path / "web-container"
    (web / "1").mkdir(parents=True)
    (web / "1" / "cmdline").write_bytes(b"gunicorn\0eventgallery.wsgi\0-c\0gunicorn.conf.py\0")
    worker = tmp_path / "worker-container"
    (worker / "1").mkdir(parents=True)
    (worker / "1" / "cmdline").write_bytes(b"/usr/bin/tini\0--\0")
    (worker / "7").mkdir()
    (worker / "7" / "cmdline").write_bytes(b"python\0manage.py\0run_worker\0")

    assert not runs_worker(web)
    assert runs_worker(worker)


def test_a_web_server_is_healthy_while_healthz_answers(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    assert web_problem(port=port) is None
    assert "does not answer" in web_problem(port=str(free_port()))
