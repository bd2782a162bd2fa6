import socket
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from ops.models import WorkerHeartbeat


def _beat(seconds_ago: float = 0, worker_id: str = "worker-1") -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker_id=worker_id, hostname="host", pid=1, started_at=seen, last_seen_at=seen)


def _ready(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_it_is_ready_when_the_database_the_media_folder_and_a_worker_are_fine(client, db):
    _beat(seconds_ago=5)

    status, body = _ready(client)

    assert status == 200
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "storage", "worker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.s3
def test_it_is_ready_on_s3(client, db, s3_storage):
    _beat()

    assert _ready(client)[0] == 200


def test_it_is_not_ready_without_a_recent_worker_heartbeat(client, db, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE_S = 60
    _beat(seconds_ago=61, worker_id="old")

    status, body = _ready(client)

    assert status == 503
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["error"] == "no worker heartbeat in the last 60 s"
    assert body["checks"]["database"]["ok"] and body["checks"]["storage"]["ok"]


def test_one_recent_worker_among_several_is_enough(client, db):
    _beat(seconds_ago=3600, worker_id="gone")
    _beat(seconds_ago=10, worker_id="alive")

    assert _ready(client)[0] == 200


def test_it_is_not_ready_when_the_database_is_down(client, db):
    working = connections["default"]
    broken_settings = dict(working.settings_dict)
    if working.vendor == "sqlite":
        broken_settings["NAME"] = "/nonexistent-folder/eventgallery.sqlite3"
    else:
        broken_settings.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    broken = type(working)(broken_settings, "default")
    connections["default"] = broken
    try:
        status, body = _ready(client)
    finally:
        connections["default"] = working
        broken.close()

    assert status == 503
    assert "database" in body["failing"]
    assert body["checks"]["database"]["error"] == "OperationalError (details in the log)"
    assert body["checks"]["storage"]["ok"]


@pytest.mark.s3
def test_it_is_not_ready_when_s3_does_not_answer(client, db, s3_storage, s3_server, settings):
    settings.READINESS_TIMEOUT_S = 0.5
    _beat()

    with s3_server.unavailable():
        status, body = _ready(client)

    assert status == 503
    assert body["failing"] == ["storage"]
    assert body["checks"]["storage"]["duration_ms"] < 5000


@pytest.mark.s3
def test_it_is_not_ready_when_the_bucket_does_not_exist(client, db, s3_storage, settings):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {**options, "bucket_name": "no-such-bucket"}},
    }
    _beat()

    status, body = _ready(client)

    assert (status, body["failing"]) == (503, ["storage"])
    assert body["checks"]["storage"]["error"] == "ClientError (details in the log)"


def test_it_is_not_ready_when_the_media_folder_cannot_be_made(client, db, settings, tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": in_the_way / "media"},
        },
    }
    _beat()

    status, body = _ready(client)

    assert (status, body["failing"]) == (503, ["storage"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
