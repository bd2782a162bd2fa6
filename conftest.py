import contextlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from django.test import Client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """SQLite's test database in a file rather than in shared-cache memory: threads
    (the worker's heartbeat, the live server) then wait for each other's writes under
    WAL and the busy timeout, as they do in production, instead of failing with
    "database table is locked"."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        settings_dict.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    """Where Django would write uploads too large for memory: anything over 1 KB (a selfie must never land there)."""
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    return folder


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Every test stores its files in a fresh folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    from galleries.page_cache import pages_in_process

    cache.clear()
    pages_in_process.clear()
    yield
    cache.clear()
    pages_in_process.clear()


@pytest.fixture
def organizer(db):
    from galleries.tests.factories import make_user

    return make_user(superuser=True, username="organizer")


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


# --- A real S3 protocol server (moto in server mode) on loopback -------------------


@dataclass
class S3Server:
    endpoint_url: str
    process: subprocess.Popen

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    @contextlib.contextmanager
    def unavailable(self):
        """The server stops answering (its process is frozen) until the block ends."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("The moto S3 server did not start.")
            time.sleep(0.1)
    yield S3Server(endpoint_url=endpoint_url, process=process)
    process.send_signal(signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_server, settings):
    """Photos stored through django-storages' real S3 backend, in a fresh bucket."""
    from eventgallery.s3 import s3_storage_settings

    bucket = f"eventgallery-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(
            bucket=bucket,
            access_key="testing",
            secret_key="testing",
            region="us-east-1",
            endpoint_url=s3_server.endpoint_url,
            addressing_style="path",
            connect_timeout=1,
            read_timeout=1,
            max_attempts=1,
        ),
    }
    return bucket


@pytest.fixture(params=["local", "s3"])
def any_storage(request):
    """Runs a test once on local storage and once on S3. Returns a function that
    lists every stored object's name."""
    if request.param == "local":
        settings = request.getfixturevalue("settings")
        root = Path(settings.MEDIA_ROOT)
        return lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    bucket = request.getfixturevalue("s3_storage")
    client = request.getfixturevalue("s3_server").client()

    def names():
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    return names


# --- A TCP proxy the test can cut, in front of a real server -----------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server. cut() closes every connection through it
    and resets new ones (the server gone, as the client sees it) until restore()."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)

    def restore(self) -> None:
        self._cut.clear()

    @contextlib.contextmanager
    def down(self, seconds: float):
        """Cut for `seconds`, then restored (also when the block fails)."""
        self.cut()
        try:
            yield
            time.sleep(seconds)
        finally:
            self.restore()

    def close(self) -> None:
        self._closed.set()
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [], 1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._sockets -= {client, server}
            for sock in (client, server):
                _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with a RST, as a server that went away does, rather than a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


@pytest.fixture
def tcp_proxy():
    """tcp_proxy((host, port)) -> a TcpProxy to that server, closed after the test."""
    proxies = []

    def make(upstream: tuple[str, int]) -> TcpProxy:
        proxy = TcpProxy(upstream)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


# --- Real processes of the project against the test database ------------------------


def database_url(*, port: int | None = None) -> str:
    """The test database's URL for another process (through `port` if given): SQLite's
    is a file (django_db_modify_db_settings), PostgreSQL's is test_<name>."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def project_process(settings):
    """project_process(*args, env={...}) starts `manage.py <args>` on the test database,
    the test's media folder and the database task backend; every process still running
    at the end of the test is killed. Its output goes to a file whose path is `.log_path`."""
    processes = []
    log_dir = Path(settings.MEDIA_ROOT).parent / "logs"
    log_dir.mkdir(exist_ok=True)

    def start(*args: str, env: dict | None = None) -> subprocess.Popen:
        full_env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_FORMAT": "text",
            **(env or {}),
        }
        log_path = log_dir / f"{len(processes)}-{args[0]}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=django_settings.BASE_DIR,
                env=full_env,
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
