"""A PostgreSQL host that accepts the connection and then says nothing (a hung server,
a half-open firewall) must not hold a worker's reconnect for minutes."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CONNECT = """
import django
django.setup()
from django.db import connection
try:
    connection.ensure_connection()
except Exception as error:
    print(type(error).__name__)
"""


@pytest.fixture
def silent_server():
    # The kernel completes the TCP handshake for the backlog; nobody ever answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_it_gives_up_on_a_silent_database_after_the_connect_timeout(silent_server):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eventgallery.settings",
        "SECRET_KEY": "tests-only-secret-key",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{silent_server}/test",
        "DATABASE_CONNECT_TIMEOUT_S": "2",
    }
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-c", CONNECT], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "OperationalError"
    # Two seconds to wait, plus the interpreter and Django starting on a loaded machine.
    assert elapsed < 30
