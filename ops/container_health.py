"""The container image's health check (its HEALTHCHECK runs `python -m ops.container_health`).

One image runs both roles, so the check finds its role itself: a container in which a
`manage.py run_worker` runs is a worker, any other a web server.

- web: /healthz answers on PORT (liveness only: no database call);
- worker: each worker process's file `<WORKER_ALIVE_FILE>-<i>` was touched within
  WORKER_HEARTBEAT_MAX_AGE_S seconds. A worker's heartbeat touches it only while its
  task loop goes round or a task runs (ops.services.Heartbeat), so a worker whose loop
  is stuck turns unhealthy even though its process and its metrics port still answer.

Plain Python without Django: it runs every 30 s and must cost next to nothing.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path


def runs_worker(proc: Path = Path("/proc")) -> bool:
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"run_worker" in arguments:
            return True
    return False


def worker_problem(*, alive_file: str, max_age_s: float) -> str | None:
    """Each worker process i of the container touches `<alive_file>-<i>`."""
    if not alive_file:
        return "WORKER_ALIVE_FILE is not set: the workers' loops cannot be watched"
    path = Path(alive_file)
    files = sorted(path.parent.glob(f"{path.name}-*"))
    if not files:
        return f"no {alive_file}-* file: no worker has started its loop"
    now = time.time()
    for file in files:
        try:
            age = now - file.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > max_age_s:
            return f"the loop of worker {file.name} has not moved for {age:.0f} s (at most {max_age_s:.0f})"
    return None


def web_problem(*, port: str) -> str | None:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4)  # noqa: S310 (a fixed http URL)
    except OSError as exc:
        return f"/healthz does not answer: {exc}"
    return None


def main() -> int:
    if runs_worker():
        problem = worker_problem(
            alive_file=os.environ.get("WORKER_ALIVE_FILE", ""),
            max_age_s=float(os.environ.get("WORKER_HEARTBEAT_MAX_AGE_S", "60")),
        )
    else:
        problem = web_problem(port=os.environ.get("PORT", "8000"))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
