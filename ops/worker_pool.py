"""Several worker processes on one machine: `manage.py run_worker` starts
WORKER_PROCESSES of them (default: one per core it may use) and watches over them.

- Each process is a whole worker (its own loop, claims, heartbeat and worker id); they
  share nothing but the database and the storage, exactly as workers on separate
  machines do, so one machine with four processes and four machines with one behave the
  same.
- They run in a process group of their own: a Ctrl+C in a terminal reaches the pool
  only, which asks each worker once (TERM) to finish its task and stop; a second signal
  to the pool passes TERM on again, which cuts their tasks short (the queue re-runs them).
- A worker that dies is started again (after a pause if it died young, so a worker that
  cannot start does not spin). A killed pool (SIGKILL) leaves its workers to run their
  tasks out; a container's end takes them with it.
- Worker i touches `<WORKER_ALIVE_FILE>-<i>` while its loop lives; the container's
  health check wants every one of them fresh (ops/container_health.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

logger = logging.getLogger("django_tasks_db")

WORKER_INDEX_VARIABLE = "EVENTGALLERY_WORKER_INDEX"
# A worker that dies sooner than _YOUNG_S after its start is started again after a pause.
_YOUNG_S = 10.0
_PAUSE_S = 3.0


def cores_available() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_index() -> int:
    """This process's place in its pool (0 when it runs alone)."""
    return int(os.environ.get(WORKER_INDEX_VARIABLE, "0"))


def lower_priority(niceness: int) -> None:
    """At least `niceness` (never raised back: a worker started niced stays so), so that
    pages and selfie searches go first when the cores are busy with photos."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)


def one_blas_thread() -> None:
    """The numerical library's (OpenBLAS's) own threads off: the workers are one process
    per core already, and a BLAS thread per core in each of them fought the other
    workers for the cores (face indexing 84 photos a minute on 2 cores with one thread,
    70 with two: bench/README.md, "Event day")."""
    import numpy  # noqa: F401 - loaded first: threadpoolctl limits the libraries it finds loaded
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


@dataclass
class WorkerPool:
    command: list[str]  # one worker, as a command line
    count: int
    environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _workers: dict[int, tuple[subprocess.Popen, float]] = field(default_factory=dict)
    _signals: int = 0

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
            signal.signal(signum, self._stop)
        for index in range(self.count):
            self._start(index)
        logger.info("Started %d worker processes", self.count)
        while self._workers:
            self._wait_for_one()
        return 0

    def _start(self, index: int) -> None:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            self.command,
            env={**self.environment, WORKER_INDEX_VARIABLE: str(index)},
            process_group=0,
        )
        self._workers[index] = (process, time.monotonic())

    def _wait_for_one(self) -> None:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            self._workers.clear()
            return
        except InterruptedError:
            return
        index = next((i for i, (process, _) in self._workers.items() if process.pid == pid), None)
        if index is None:
            return
        process, started = self._workers.pop(index)
        process.returncode = os.waitstatus_to_exitcode(status)
        if self._signals:
            return
        lived = time.monotonic() - started
        logger.warning("Worker process %d ended (%s) after %.0f s: starting it again", index, process.returncode, lived)
        if lived < _YOUNG_S:
            time.sleep(_PAUSE_S)
        if not self._signals:
            self._start(index)

    def _stop(self, signum, frame) -> None:
        self._signals += 1
        logger.warning("Received %s: asking %d worker processes to stop", signal.strsignal(signum), len(self._workers))
        for process, _ in self._workers.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
