"""Readiness checks, the worker heartbeat, and healing the pipeline.

Healing: a task whose worker is gone (no heartbeat in the last
WORKER_HEARTBEAT_MAX_AGE_S: killed, out of memory, host rebooted) is put back in the
queue, and the rows left stuck (photos, face indexes) are put right by the sweeps
their apps registered (ops/sweeps.py; pipeline_heal). Every worker runs it now and
then; several at once never run a live task twice, since each change is conditional on
what was read (or made under a row lock) and the heartbeat only beats while the
worker's loop is alive. ops imports no product app: what it heals of theirs, they
registered.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from botocore.config import Config
from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError, close_old_connections, connection, connections
from django.dispatch import receiver
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ops.models import WorkerHeartbeat
from ops.sweeps import Sweep
from ops.sweeps import registered as sweeps_registered

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
    """Database, shared cache, storage and a recent worker heartbeat, each timed; a
    failing check names the problem without its details (those go to the log, not to a
    public page)."""
    return [
        _run_check("database", _check_database),
        _run_check("cache", _check_cache),
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


def _check_cache() -> None:
    # The site goes on without Redis (ops/cache.py), so a cache read cannot tell: Redis
    # is asked itself. Pages are then made for every request and the limits counted
    # in the database, a degraded state that a probe must see.
    backend = caches["default"]
    if hasattr(backend, "ping"):
        backend.ping()


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
                Config(
                    connect_timeout=timeout, read_timeout=timeout, retries={"mode": "standard", "total_max_attempts": 1}
                )
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
    that a long task (indexing a large photo) does not make the worker look dead, but
    only while `is_alive()` says the worker's loop goes on: a loop stuck or dead must
    not look alive, or its tasks would never be taken over."""

    def __init__(
        self,
        *,
        worker_id: str,
        interval: float,
        is_alive: Callable[[], bool] = lambda: True,
        alive_file: Path | None = None,
    ):
        self.worker_id = worker_id
        self.interval = interval
        self.is_alive = is_alive
        # Touched with each live beat, database or not: the container's health check
        # (ops/container_health.py) reads its age.
        self.alive_file = alive_file
        self.started_at = timezone.now()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        # The first beat in the caller's thread: ready as soon as the worker runs. A
        # worker started while the database is down still starts, and beats once it is back.
        self._touch_alive_file()
        try:
            heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
        except Exception:
            logger.warning("Worker heartbeat failed", exc_info=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            heartbeat_remove(worker_id=self.worker_id)
        except Exception:
            logger.warning("Could not remove the heartbeat of worker %s", self.worker_id, exc_info=True)

    def _touch_alive_file(self) -> None:
        if self.alive_file is None:
            return
        try:
            self.alive_file.touch()
        except OSError:
            logger.warning("Could not touch %s", self.alive_file, exc_info=True)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                if not self.is_alive():
                    logger.warning("The worker's loop is stuck: no heartbeat until it moves again")
                    continue
                self._touch_alive_file()
                try:
                    close_old_connections()  # as the worker's loop does: drop a broken one
                    heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
                except (OperationalError, InterfaceError) as exc:
                    logger.warning("Worker heartbeat failed: the database does not answer (%s)", exc)
                except Exception:
                    logger.warning("Worker heartbeat failed", exc_info=True)
        finally:
            connections.close_all()


# --- Healing ------------------------------------------------------------------------


class WorkerLost(Exception):
    """What a task whose workers kept dying under it failed with."""


def tasks_live_arguments(*, task, argument: str) -> set:
    """The `argument` of every queued or running run of `task`."""
    return set(
        DBTaskResult.objects.filter(
            task_path=task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list(f"args_kwargs__kwargs__{argument}", flat=True)
    )


def task_is_live(*, task, argument: str, value) -> bool:
    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        **{f"args_kwargs__kwargs__{argument}": value},
    ).exists()


def tasks_requeue_orphaned(*, worker_id: str | None = None) -> int:
    """Puts back in the queue the running tasks whose worker is gone, and returns how
    many: claimed by a worker without a heartbeat in the last WORKER_HEARTBEAT_MAX_AGE_S
    and started before that, or claimed by `worker_id` (the calling worker, which runs
    none of them: it lost its database while running one). A task claimed
    TASK_MAX_ATTEMPTS times fails instead, with WorkerLost.

    Each change is conditional on the claim that was read (status and start time): of
    several workers sweeping at once one requeues the task, and a task claimed again
    meanwhile is left to its new worker.
    """
    now = timezone.now()
    max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_S)
    alive = set(WorkerHeartbeat.objects.filter(last_seen_at__gte=now - max_age).values_list("worker_id", flat=True))
    count = 0
    for task in DBTaskResult.objects.running().only("pk", "worker_ids", "started_at", "task_path"):
        claimed_by = task.worker_ids[-1] if task.worker_ids else None
        own_orphan = worker_id is not None and claimed_by == worker_id
        if not own_orphan and (claimed_by in alive or (task.started_at and task.started_at >= now - max_age)):
            continue
        claim = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at)
        give_up = len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS
        if give_up:
            message = f"{len(task.worker_ids)} workers stopped while running this task; it is not run again."
            updated = claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"{WorkerLost.__qualname__}: {message}\n",
            )
        else:
            updated = claim.update(status=TaskResultStatus.READY)
        if updated:
            logger.warning(
                "Task %s (%s) of lost worker %s %s",
                task.pk,
                task.task_path,
                claimed_by,
                "failed: too many lost workers" if give_up else "queued again",
            )
        count += updated
    return count


@dataclass(frozen=True)
class HealReport:
    """How many tasks of lost workers were queued again, and how many rows each sweep
    the apps registered (ops/sweeps.py) put right: report.photos is the count of the
    sweep named "photos"."""

    tasks: int
    # (name, count, counted_as) of each sweep, in the order they ran.
    swept: tuple[tuple[str, int, str], ...] = ()

    def __getattr__(self, name: str) -> int:
        for swept_name, count, _ in self.__dict__.get("swept", ()):
            if swept_name == name:
                return count
        raise AttributeError(f"{type(self).__name__!r} has no sweep {name!r}")

    def __bool__(self) -> bool:
        return bool(self.tasks or any(count for _, count, _ in self.swept))

    def summary(self) -> str:
        """ "2 task(s) of lost workers, 1 photo(s), 0 face index(es)"."""
        return ", ".join(
            [f"{self.tasks} task(s) of lost workers", *(f"{count} {counted_as}" for _, count, counted_as in self.swept)]
        )


def pipeline_heal(*, worker_id: str | None = None, sweeps: Iterable[Sweep] | None = None) -> HealReport:
    """Takes over what dead workers left: their tasks first (tasks_requeue_orphaned),
    then the rows stuck without a live task, by the sweeps the apps registered
    (ops/sweeps.py; all of them unless `sweeps` names some)."""
    tasks = tasks_requeue_orphaned(worker_id=worker_id)
    swept = tuple(
        (sweep.name, sweep.run(), sweep.counted_as) for sweep in (sweeps_registered() if sweeps is None else sweeps)
    )
    report = HealReport(tasks=tasks, swept=swept)
    if report:
        logger.warning("Healed the pipeline: %s queued again", report.summary())
    return report
