"""What the worker sweeps, as the product apps register it.

ops is the ground floor: it imports no product app (galleries, faces, favourites, api,
accounts; ops/tests/test_ground_floor.py holds it to that). An app whose rows a dead
worker can leave stuck registers, from its AppConfig.ready(), the function that puts
them right; the worker (manage.py run_worker) runs every registered sweep after
requeueing the tasks of dead workers (ops.services.pipeline_heal), and manage.py
heal_pipeline runs them all at once. One worker sweeps at a time, across machines
(ops.services.sweeper_turn); the others skip their turn. ops registers one sweep of
its own, last: the queue's finished task results, pruned hourly.

A sweep is a function without arguments that returns how many rows it put right. It
must be safe to run from several workers at once (each change conditional on what it
read, or made under a row lock) and must leave alone what a live task is doing
(ops.services.task_is_live). Sweeps run in the order they were registered: the order
of INSTALLED_APPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sweep:
    # The sweep's count in ops.services.HealReport ("photos": report.photos).
    name: str
    run: Callable[[], int]
    # How a count reads after its number in the log and in heal_pipeline's output:
    # "stuck photo(s) queued again".
    counted_as: str
    # At most this often, in seconds; None: at every sweep of the worker (WORKER_SWEEP_INTERVAL_S).
    every_s: float | None = None


_registered: dict[str, Sweep] = {}


def register(name: str, run: Callable[[], int], *, counted_as: str, every_s: float | None = None) -> None:
    """Adds a sweep, or replaces the one of that name (an app made ready again)."""
    if not name.isidentifier() or name == "tasks":
        raise ValueError(f"A sweep's name must be an identifier other than 'tasks', not {name!r}.")
    _registered[name] = Sweep(name=name, run=run, counted_as=counted_as, every_s=every_s)


def registered() -> tuple[Sweep, ...]:
    return tuple(_registered.values())
