"""`make run` as a developer starts it: a TERM sent from outside, to make or to its
recipe's shell, stops both the server and the worker (README: it is passed on), and
nothing of the run is left behind. The real recipe, run by the real make, with a
SQLite database of the test's own; only `install` and `.env` are taken as done."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session(sid: int) -> dict[int, str]:
    """The live processes of a session, by pid: their command lines."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            processes[int(entry.name)] = cmdline
    return processes


def _handles_int(pid: int) -> bool:
    """Has the process installed a handler for SIGINT (/proc's SigCgt mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGINT - 1)))


def _worker_ready(sid: int) -> bool:
    """The worker (under DEBUG, the reloader's child) handles INT: before it has set its
    handlers, an INT from the terminal is ignored like any background job's."""
    return any("run_worker" in cmdline and _handles_int(pid) for pid, cmdline in _session(sid).items())


def _wait_until(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}.")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def make_run(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": "make-run-test-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CACHE_URL": "locmemcache://",
        "WORKER_PROCESSES": "2",  # a pool, as on a developer's machine with several cores
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # make run's own task backend (the database), not the test run's immediate one, with
    # which a worker cannot start at all.
    env.pop("TASKS_BACKEND", None)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "install", "-o", ".env", "run", f"PY={sys.executable}", f"PORT={port}"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until(lambda: _answers(port), START_TIMEOUT_S, "the server of `make run`")
        _wait_until(lambda: _worker_ready(make.pid), START_TIMEOUT_S, "its worker")
        yield make
    finally:
        for pid in _session(make.pid):
            os.kill(pid, signal.SIGKILL)
        make.wait(timeout=10)


def _recipe_shell(make) -> int:
    [shell] = [
        pid
        for pid, cmdline in _session(make.pid).items()
        if pid != make.pid and cmdline.startswith("/bin/sh") and "run_worker" in cmdline
    ]
    return shell


@pytest.mark.parametrize("target", ["make", "the recipe's shell"])
def test_a_term_from_outside_stops_the_server_and_the_worker(make_run, target):
    pid = make_run.pid if target == "make" else _recipe_shell(make_run)
    running = _session(make_run.pid)
    assert any("runserver" in c for c in running.values()) and any("run_worker" in c for c in running.values())
    _wait_until(
        lambda: sum("--processes 1" in c for c in _session(make_run.pid).values()) == 2,
        START_TIMEOUT_S,
        "the pool's two workers",
    )

    os.kill(pid, signal.SIGTERM)

    _wait_until(lambda: not _session(make_run.pid), STOP_TIMEOUT_S, "every process of `make run` to stop")
    assert make_run.wait(timeout=5) != 0 or target != "make"


def test_ctrl_c_still_stops_both(make_run):
    # The terminal sends INT to its foreground process group: make, the shell, both servers.
    os.killpg(make_run.pid, signal.SIGINT)

    _wait_until(lambda: not _session(make_run.pid), STOP_TIMEOUT_S, "every process of `make run` to stop")
