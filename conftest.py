import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
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

    cache.clear()
    yield
    cache.clear()


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
