"""The background worker: django-tasks-db's db_worker with what it lacks for running
unattended, and optionally its own /metrics port:

- a heartbeat, which /readyz reads and by which other workers know this one lives;
- it outlives its database: where db_worker exits on a lost connection, this one waits
  (1 s, doubling up to WORKER_RECONNECT_MAX_DELAY_S) and goes on, and puts back in the
  queue the task the loss interrupted;
- it heals the pipeline every WORKER_SWEEP_INTERVAL_S (ops.services.pipeline_heal):
  the tasks of dead workers, then the sweeps the apps registered (ops/sweeps.py:
  photos and face indexes stuck without a task, the queue's old rows), each at most as
  often as its every_s, by one worker at a time (ops.services.sweeper_turn).

What it reaches of django-tasks-db's internals goes through ops/task_queue.py.
"""

import logging
import math
import os
import random
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader

from ops import sweeps
from ops.services import Heartbeat, pipeline_heal, sweeper_turn, tasks_requeue_orphaned
from ops.task_queue import QueueWorker, WorkerCommand
from ops.worker_pool import (
    WORKER_INDEX_VARIABLE,
    WorkerPool,
    cores_available,
    lower_priority,
    one_blas_thread,
    worker_index,
)

logger = logging.getLogger("django_tasks_db")
# When a sweep with an every_s is next due (a Unix time), in the shared cache.
SWEEP_NEXT_KEY = "ops:sweep-next:{}"


class Worker(QueueWorker):
    """db_worker's loop (django-tasks-db 0.13: claim the next ready task under a lock,
    run it, sleep when there is none; ops/task_queue.py), with the reconnection, the
    progress marks the heartbeat reads, and the sweeps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.last_progress = time.monotonic()
        self._next_sweep = 0.0
        self._sweeps_next: dict[str, float] = {}  # by name, for the sweeps with an every_s
        self._database_lost = False

    def is_alive(self) -> bool:
        """A task is running, the loop went round lately (its sleeps are short), or it
        waits for the database (which the heartbeat cannot reach either)."""
        recent = time.monotonic() - self.last_progress < self.interval + settings.WORKER_HEARTBEAT_MAX_AGE_S / 2
        return self.running_task or self._database_lost or recent

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (a thundering herd, not a secret)
        reconnect_delay = 1.0
        while self.running:
            self.last_progress = time.monotonic()
            try:
                done = self._turn()
            except (OperationalError, InterfaceError) as exc:
                self._lost_database(exc, reconnect_delay)
                reconnect_delay = min(reconnect_delay * 2, settings.WORKER_RECONNECT_MAX_DELAY_S)
                continue
            reconnect_delay = 1.0
            if done:
                return

    def _turn(self) -> bool:
        """One round of the loop; True when the worker is done (batch, max tasks)."""
        close_old_connections()  # drop a connection the database closed meanwhile
        if self._database_lost:
            # The task this worker ran when the database went is no longer running.
            requeued = tasks_requeue_orphaned(worker_id=self.worker_id)
            logger.warning("The database answers again; %d interrupted task(s) queued again", requeued)
            self._database_lost = False
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + settings.WORKER_SWEEP_INTERVAL_S
            try:
                with sweeper_turn(holder=self.worker_id) as mine:
                    if mine:
                        pipeline_heal(sweeps=self._sweeps_due())
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.exception("Healing the pipeline failed; the worker goes on")
        task_result, retrieved = self.claim_next()
        if task_result is not None:
            self.run_task(task_result)
        if self.batch and retrieved and task_result is None:
            logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
            return True
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            logger.info("Run maximum tasks (%d) on worker=%s - exiting gracefully.", self._run_tasks, self.worker_id)
            return True
        close_old_connections()
        if self.running and not task_result:
            time.sleep(self.interval)
        return False

    def _sweeps_due(self) -> list[sweeps.Sweep]:
        """The sweeps to run now: those without an every_s each time, the others at most
        that often across the workers that share the cache (Redis in production: a
        daily sweep runs once a day, not once per worker and at each one's start), and
        per worker where they share none."""
        now = time.time()
        due = []
        for sweep in sweeps.registered():
            if sweep.every_s is not None:
                key = SWEEP_NEXT_KEY.format(sweep.name)
                if now < max(self._sweeps_next.get(sweep.name, 0.0), cache.get(key, 0.0)):
                    continue
                self._sweeps_next[sweep.name] = now + sweep.every_s
                cache.set(key, now + sweep.every_s, timeout=math.ceil(sweep.every_s))
            due.append(sweep)
        return due

    def _lost_database(self, exc: Exception, delay: float) -> None:
        self._database_lost = True
        logger.warning("The database does not answer (%s: %s); trying again in %.0f s", type(exc).__name__, exc, delay)
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except Exception:
                logger.debug("Closing a broken connection failed", exc_info=True)
        time.sleep(delay)


class Command(WorkerCommand):
    help = (
        "Run the background workers (db_worker), one per core unless WORKER_PROCESSES says otherwise, "
        "with a heartbeat for /readyz, reconnection and healing."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Worker processes to run (default: WORKER_PROCESSES, or one per core). "
            "--batch, --max-tasks and --reload run one.",
        )

    def handle(self, *, processes=None, **options):
        lower_priority(settings.WORKER_NICE)
        processes = processes or settings.WORKER_PROCESSES or cores_available()
        if WORKER_INDEX_VARIABLE in os.environ:
            options["worker_id"] = f"{options['worker_id']}-{worker_index()}"
        elif processes > 1 and not (options["batch"] or options["reload"] or options["max_tasks"]):
            self._run_pool(processes, _one_worker_arguments(**options))
            return
        self._run_one(**options)

    def _run_one(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ) -> None:
        """One worker in this process: as db_worker's handle, with this module's Worker."""
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("Warning: --reload and --batch cannot be specified together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The watching parent: only the child it starts works and beats.
            run_with_reloader(worker.run)
            return
        one_blas_thread()
        if settings.WORKER_METRICS_PORT:
            _serve_metrics(port=settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR)
        heartbeat = Heartbeat(
            worker_id=worker_id,
            interval=settings.WORKER_HEARTBEAT_INTERVAL_S,
            is_alive=worker.is_alive,
            alive_file=Path(f"{settings.WORKER_ALIVE_FILE}-{worker_index()}") if settings.WORKER_ALIVE_FILE else None,
        )
        # The signals first: a TERM that came between the first beat and them killed the
        # process outright and left its heartbeat behind.
        worker.configure_signals()
        try:
            heartbeat.start()
            if reload:
                run_with_reloader(worker.run)
            else:
                worker.run()
        finally:
            heartbeat.stop()

    def _run_pool(self, processes: int, arguments: list[str]) -> None:
        # The pool serves the metrics its workers write (PROMETHEUS_MULTIPROC_DIR); they
        # cannot all listen on the one port.
        if settings.WORKER_METRICS_PORT:
            _serve_metrics(port=settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR)
        pool = WorkerPool(
            command=[
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "run_worker",
                *arguments,
                "--processes",
                "1",
            ],
            count=processes,
            environment={**os.environ, "WORKER_METRICS_PORT": "0"},
        )
        pool.run()


def _one_worker_arguments(
    *, queue_name, interval, backend_name, exclude_queues, startup_delay, worker_id, verbosity, **options
) -> list[str]:
    """The command line of one of the pool's workers, from this one's options."""
    return [
        *("--queue-name", queue_name, "--interval", str(interval), "--backend", backend_name),
        *(("--exclude-queues", exclude_queues) if exclude_queues else ()),
        *(() if startup_delay else ("--no-startup-delay",)),
        *("--no-reload", "--worker-id", worker_id, "-v", str(verbosity)),
    ]


def _serve_metrics(*, port: int, addr: str) -> None:
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    start_http_server(port, addr=addr, registry=registry)
