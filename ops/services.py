"""Readiness checks and the worker heartbeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from botocore.config import Config
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.db import close_old_connections, connection, connections
from django.dispatch import receiver
from django.utils import timezone

from ops.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Rows of workers that died without removing theirs are deleted after this long.
STALE_HEARTBEAT_AGE = timedelta(days=1)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    duration_ms: float
    error: str = ""

    def as_dict(self) -> dict:
        result = {"ok": self.ok, "duration_ms": self.duration_ms}
        if self.error:
            result["error"] = self.error
        return result


def readiness_checks() -> list[CheckResult]:
    """Database, storage and a recent worker heartbeat, each timed; a failing check
    names the problem without its details (those go to the log, not to a public page)."""
    return [
        _run_check("database", _check_database),
        _run_check("storage", _check_storage),
        _run_check("worker", _check_worker),
    ]


class NotReady(Exception):
    """A check's own finding, safe to show."""


def _run_check(name: str, check) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except NotReady as exc:
        error = str(exc)
    except Exception as exc:
        logger.warning("Readiness check %s failed", name, exc_info=True)
        error = f"{type(exc).__name__} (details in the log)"
    else:
        error = ""
    return CheckResult(
        name=name, ok=not error, duration_ms=round((time.perf_counter() - started) * 1000, 1), error=error
    )


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_storage() -> None:
    storage = _probe_storage()
    if isinstance(storage, FileSystemStorage):
        # The folder is made on the first upload; it must be makeable and writable.
        os.makedirs(storage.location, exist_ok=True)
        if not os.access(storage.location, os.W_OK):
            raise NotReady("the media folder is not writable")
    elif hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        # HeadBucket: the endpoint answers, the credentials work and the bucket exists
        # (HeadObject of a missing key would answer 404 for a missing bucket too).
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    else:
        storage.exists(".readyz")


_probe_storage_instance = None


def _probe_storage():
    """The default storage, with short timeouts and no retries on S3, so that a probe
    never hangs for the upload timeouts."""
    global _probe_storage_instance
    if _probe_storage_instance is None:
        config = settings.STORAGES["default"]
        options = dict(config.get("OPTIONS", {}))
        client_config = options.get("client_config")
        if isinstance(client_config, Config):
            timeout = settings.READINESS_TIMEOUT_S
            options["client_config"] = client_config.merge(
                Config(connect_timeout=timeout, read_timeout=timeout, retries={"mode": "standard", "max_attempts": 1})
            )
        _probe_storage_instance = storages.create_storage({**config, "OPTIONS": options})
    return _probe_storage_instance


@receiver(setting_changed)
def _forget_probe_storage(*, setting, **kwargs):
    global _probe_storage_instance
    if setting in ("STORAGES", "READINESS_TIMEOUT_S"):
        _probe_storage_instance = None


def _check_worker() -> None:
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE_S
    if not WorkerHeartbeat.objects.filter(last_seen_at__gte=timezone.now() - timedelta(seconds=max_age)).exists():
        raise NotReady(f"no worker heartbeat in the last {max_age} s")


# --- Worker heartbeat ----------------------------------------------------------------


def heartbeat_beat(*, worker_id: str, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - STALE_HEARTBEAT_AGE).delete()


def heartbeat_remove(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class Heartbeat:
    """Touches the worker's row every `interval` seconds from a thread of its own, so
    that a long task (indexing a large photo) does not make the worker look dead."""

    def __init__(self, *, worker_id: str, interval: float):
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        # The first beat in the caller's thread: ready as soon as the worker runs.
        heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            heartbeat_remove(worker_id=self.worker_id)
        except Exception:
            logger.warning("Could not remove the heartbeat of worker %s", self.worker_id, exc_info=True)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    close_old_connections()  # as the worker's loop does: drop a broken one
                    heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
                except Exception:
                    logger.warning("Worker heartbeat failed", exc_info=True)
        finally:
            connections.close_all()
