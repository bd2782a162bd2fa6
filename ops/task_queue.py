"""Everything of Eventgallery that reaches into django-tasks-db's internals, in one place.

Written for django-tasks-db WRITTEN_FOR (pinned in requirements.txt). What it relies on
beyond the library's documented surface (its backend and its two commands):

- db_worker.Worker: its constructor's keywords, its attributes (running, running_task,
  _run_tasks, interval, batch, max_tasks, worker_id, queue_names...), run_task() and
  configure_signals(); run_worker's Worker overrides run() with a copy of the library's
  loop, so a change of that loop must be carried over by hand;
- db_worker.Command: its options, which run_worker's Command passes through;
- DBTaskResult: its fields (status, task_path, args_kwargs, worker_ids, started_at,
  finished_at), its queryset's ready() / running() / finished() / get_locked(), and claim();
- utils.exclusive_transaction() and is_locked_database_exception();
- prune_db_task_results: its options, and its log line "Deleted %d task result(s)",
  the only place it tells how many rows it deleted.

ops/tests/test_task_queue_adapter.py fails, saying what to re-check, when the installed
library is not WRITTEN_FOR or any of these changed shape.
"""

from __future__ import annotations

import logging
from datetime import datetime
from io import StringIO

from django.core.management import call_command
from django.db import OperationalError
from django.db.models import Count, Field
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import TaskResultStatus, task_backends
from django_tasks_db.management.commands import db_worker, prune_db_task_results
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

WRITTEN_FOR = "0.13.0"
LIVE_STATUSES = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
PRUNE_LOGGER = prune_db_task_results.logger.name

# run_worker's Command subclasses this one and passes its options through.
WorkerCommand = db_worker.Command


class QueueWorker(db_worker.Worker):
    """db_worker's Worker with the claim of its loop as a method of its own, so that
    run_worker's loop (a copy of the library's, with reconnection and sweeps) need not
    know how a task is claimed."""

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """The next ready task, claimed for this worker (None when there is none), and
        whether the queue could be read at all (False: SQLite was busy)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # so that no other worker runs it
        except OperationalError as exc:
            if is_locked_database_exception(exc):  # SQLite busy: it unlocks eventually
                return None, False
            raise
        return task_result, True


# --- What the healing asks of the queue -------------------------------------------------


def _live(*, task):
    return DBTaskResult.objects.filter(task_path=task.module_path, status__in=LIVE_STATUSES)


def live_task_arguments(*, task, argument: str, output_field: Field):
    """The keyword `argument` of every queued or running run of `task`, as a subquery
    for the rows those tasks work on: Photo.objects.exclude(pk__in=live_task_arguments(
    task=process_photo, argument="photo_id", output_field=BigIntegerField())). The
    database reads it once per query (a hashed subplan on PostgreSQL, an ephemeral index
    on SQLite), not once per row as a correlated EXISTS would on SQLite, and never
    sends the arguments to the process. NULLs are left out: one in a NOT IN would
    exclude every row."""
    return (
        _live(task=task)
        .annotate(argument=Cast(KT(f"args_kwargs__kwargs__{argument}"), output_field=output_field))
        .filter(argument__isnull=False)
        .values("argument")
    )


def task_is_live(*, task, argument: str, value) -> bool:
    return _live(task=task).filter(**{f"args_kwargs__kwargs__{argument}": value}).exists()


def tasks_live_arguments(*, task, argument: str) -> set:
    """The `argument` of every queued or running run of `task` (every live run is read:
    for a small set of tasks; a sweep filters with live_task_arguments instead)."""
    return set(_live(task=task).values_list(f"args_kwargs__kwargs__{argument}", flat=True))


def tasks_running():
    """The running tasks, with what tasks_requeue_orphaned reads of them."""
    return DBTaskResult.objects.running().only("pk", "worker_ids", "started_at", "task_path")


def tasks_counted_by_queue() -> list[tuple[str, str, int]]:
    """(queue name, "waiting" or "running", how many) for every queue that has any."""
    counts = []
    for state, tasks in (("waiting", DBTaskResult.objects.ready()), ("running", DBTaskResult.objects.running())):
        for row in tasks.order_by().values("queue_name").annotate(n=Count("id")):
            counts.append((row["queue_name"], state, row["n"]))
    return counts


def task_requeue_unless_moved(*, pk, started_at: datetime | None) -> int:
    """Puts a running task back in the queue if it is still the run that was read (same
    start): 1, or 0 when another worker requeued or claimed it meanwhile."""
    return _unmoved(pk=pk, started_at=started_at).update(status=TaskResultStatus.READY)


def task_fail_unless_moved(
    *, pk, started_at: datetime | None, finished_at: datetime, exception: type, message: str
) -> int:
    """As task_requeue_unless_moved, but the task fails with `exception`."""
    return _unmoved(pk=pk, started_at=started_at).update(
        status=TaskResultStatus.FAILED,
        finished_at=finished_at,
        exception_class_path=f"{exception.__module__}.{exception.__qualname__}",
        traceback=f"{exception.__qualname__}: {message}\n",
    )


def _unmoved(*, pk, started_at):
    return DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)


# --- Pruning ----------------------------------------------------------------------------


class _DeletedCount(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.deleted = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "Deleted %d task result(s)":
            self.deleted += int(record.args[0])


def task_results_prune(*, keep_days: int, failed_keep_days: int) -> int:
    """Deletes the finished task results of every queue of every database task backend
    older than `keep_days` (failed ones: `failed_keep_days`), by the library's own prune
    command, and returns how many (0 where no backend keeps its tasks in the database)."""
    logger = logging.getLogger(PRUNE_LOGGER)
    counter = _DeletedCount()
    # Before the command, which then adds no handler of its own; its "Deleted 0 task
    # result(s)" each hour stays out of the worker's log (pipeline_heal reports the count).
    logger.addHandler(counter)
    propagate, logger.propagate = logger.propagate, False
    try:
        for backend in task_backends.all():
            if isinstance(backend, DatabaseBackend):
                call_command(
                    "prune_db_task_results",
                    backend=backend,
                    queue_name="*",
                    min_age_days=keep_days,
                    failed_min_age_days=failed_keep_days,
                    verbosity=1,  # its count is logged at INFO
                    stdout=StringIO(),
                )
    finally:
        logger.removeHandler(counter)
        logger.propagate = propagate
    return counter.deleted
