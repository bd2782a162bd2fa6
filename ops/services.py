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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from botocore.config import Config
from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError, close_old_connections, connection, connections, transaction
from django.db.models import Model, Q, QuerySet
from django.dispatch import receiver
from django.utils import timezone

from ops import task_queue
from ops.models import SweeperClaim, WorkerHeartbeat
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
        if self._thread.ident is not None:  # a stop during start() comes before the thread
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


tasks_live_arguments = task_queue.tasks_live_arguments
task_is_live = task_queue.task_is_live


def stuck_rows_put_right(*, rows: QuerySet, task, argument: str, put_right: Callable[[Model], None]) -> int:
    """The shape of the apps' healing sweeps (galleries/healing.py, faces/healing.py):
    each of `rows` (the rows stuck, by a condition on their own fields) that no queued
    or running run of `task` works on (its keyword `argument` is the row's pk) is
    locked, read again, and handed to `put_right`, which queues it again or fails it
    inside the row's transaction (an enqueue goes on commit). Returns how many.

    Which rows have a live task is decided in the database, in the query that finds
    them (task_queue.live_task_arguments, a subquery): one query when nothing is stuck,
    and no task's arguments sent to the process, where every worker used to read every
    live task's arguments each sweep. A row
    locked by another sweeper is skipped (skip_locked); one whose task appeared
    meanwhile is left to it.
    """
    count = 0
    pk_field = rows.model._meta.pk
    while pk_field.is_relation:  # PhotoFaces: its pk is its photo
        pk_field = pk_field.target_field
    live = task_queue.live_task_arguments(task=task, argument=argument, output_field=pk_field)
    for pk in rows.exclude(pk__in=live).values_list("pk", flat=True):
        with transaction.atomic():
            row = rows.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None or task_is_live(task=task, argument=argument, value=pk):
                continue
            put_right(row)
            count += 1
    return count


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
    for task in task_queue.tasks_running():
        claimed_by = task.worker_ids[-1] if task.worker_ids else None
        own_orphan = worker_id is not None and claimed_by == worker_id
        if not own_orphan and (claimed_by in alive or (task.started_at and task.started_at >= now - max_age)):
            continue
        give_up = len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS
        if give_up:
            updated = task_queue.task_fail_unless_moved(
                pk=task.pk,
                started_at=task.started_at,
                finished_at=now,
                exception=WorkerLost,
                message=f"{len(task.worker_ids)} workers stopped while running this task; it is not run again.",
            )
        else:
            updated = task_queue.task_requeue_unless_moved(pk=task.pk, started_at=task.started_at)
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
        """ "2 task(s) of lost workers queued again, 1 stuck photo(s) queued again, ..."."""
        return ", ".join(
            [
                f"{self.tasks} task(s) of lost workers queued again",
                *(f"{count} {counted_as}" for _, count, counted_as in self.swept),
            ]
        )


def pipeline_heal(*, worker_id: str | None = None, sweeps: Iterable[Sweep] | None = None) -> HealReport:
    """Takes over what dead workers left: their tasks first (tasks_requeue_orphaned),
    then the rows stuck without a live task, by the sweeps the apps registered
    (ops/sweeps.py; all of them unless `sweeps` names some)."""
    tasks = tasks_requeue_orphaned(worker_id=worker_id)
    swept = tuple(
        (sweep.name, _sweep_run(sweep), sweep.counted_as)
        for sweep in (sweeps_registered() if sweeps is None else sweeps)
    )
    report = HealReport(tasks=tasks, swept=swept)
    if report:
        logger.warning("Swept: %s", report.summary())
    return report


def _sweep_run(sweep: Sweep) -> int:
    """The sweep's count; 0 when it failed on something other than the database (the
    storage away during the daily file sweep), so that the sweeps after it still run."""
    try:
        return sweep.run()
    except (OperationalError, InterfaceError):
        raise  # the database is away: the worker waits for it, and every sweep would fail
    except Exception:
        logger.exception("The sweep %s failed; the others go on", sweep.name)
        return 0


# --- Upkeep -----------------------------------------------------------------------------


def task_results_prune_old() -> int:
    """Deletes the finished task results older than TASK_RESULTS_KEEP_DAYS (failed ones:
    TASK_RESULTS_FAILED_KEEP_DAYS), and returns how many: a sweep the worker runs hourly
    (registered in OpsConfig.ready())."""
    return task_queue.task_results_prune(
        keep_days=settings.TASK_RESULTS_KEEP_DAYS, failed_keep_days=settings.TASK_RESULTS_FAILED_KEEP_DAYS
    )


# The advisory lock's key: any bigint, the same in every worker ("EGSWEEP" in ASCII).
SWEEPER_LOCK_KEY = 0x45475357454550
SWEEPER_CLAIM_NAME = "sweeper"
# A SQLite claim expires after this long: a sweeper that died without freeing it.
SWEEPER_CLAIM_TTL = timedelta(minutes=10)


@contextmanager
def sweeper_turn(*, holder: str) -> Iterator[bool]:
    """Whether `holder` (a worker id) is the one worker that sweeps now, across workers and
    machines; held for the `with` block. A worker that is not skips this turn's sweeps.

    PostgreSQL: pg_try_advisory_lock, at the session level. A transaction-level lock would
    need the whole sweep in one transaction, but the sweeps commit row by row (a row
    locked, then its task queued on that commit) and must not hold every row lock and
    enqueue until the end. A session lock goes with its connection, so a worker that
    dies or loses its database mid-sweep frees it. (It needs a session of its own: not
    behind a transaction-pooling PgBouncer.) Other databases: a row claim
    (ops.models.SweeperClaim) by conditional update, expiring after SWEEPER_CLAIM_TTL.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [SWEEPER_LOCK_KEY])
            mine = cursor.fetchone()[0]
        release = _sweeper_unlock
    else:
        mine = _sweeper_claim(holder=holder)
        release = partial(_sweeper_unclaim, holder=holder)
    try:
        yield mine
    finally:
        if mine:
            try:
                release()
            except (OperationalError, InterfaceError):
                # The connection went: a session lock went with it; a claim expires.
                logger.warning("Could not free the sweeper's lock: the database does not answer")


def _sweeper_unlock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEPER_LOCK_KEY])


def _sweeper_claim(*, holder: str) -> bool:
    now = timezone.now()
    SweeperClaim.objects.get_or_create(name=SWEEPER_CLAIM_NAME, defaults={"holder": "", "expires_at": now})
    free = Q(expires_at__lte=now) | Q(holder=holder)
    return bool(
        SweeperClaim.objects.filter(free, name=SWEEPER_CLAIM_NAME).update(
            holder=holder, expires_at=now + SWEEPER_CLAIM_TTL
        )
    )


def _sweeper_unclaim(*, holder: str) -> None:
    SweeperClaim.objects.filter(name=SWEEPER_CLAIM_NAME, holder=holder).update(expires_at=timezone.now())
