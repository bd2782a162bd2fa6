"""ops/task_queue.py against the installed django-tasks-db: each test fails, saying what
to re-check, when the library changed under the adapter (an upgrade, or a pin moved)."""

import hashlib
import importlib.metadata
import inspect
import re
from pathlib import Path

from django.conf import settings
from django_tasks_db import utils
from django_tasks_db.management.commands import db_worker, prune_db_task_results
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from ops import task_queue
from ops.management.commands import run_worker

RECHECK = (
    "django-tasks-db changed under ops/task_queue.py: re-read the library's {what} and carry the change over "
    "to {where}, then update this test."
)
# sha256 of db_worker.Worker.run's source in 0.13.0: run_worker's Worker.run is a copy of it.
LIBRARY_LOOP_SHA256 = "99b3cb9412f20cf9bb12d4ee0144a6739f033bed62350dab487a616d7cb3c105"


def _keywords(function) -> set[str]:
    return {
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind == inspect.Parameter.KEYWORD_ONLY
    }


def test_it_is_the_version_the_adapter_was_written_for_and_requirements_pin():
    installed = importlib.metadata.version("django-tasks-db")
    pinned = re.search(
        r"^django-tasks-db==(\S+)$", (Path(settings.BASE_DIR) / "requirements.txt").read_text(), re.MULTILINE
    )

    assert pinned, "requirements.txt must pin django-tasks-db (==): ops/task_queue.py reaches into its internals."
    assert installed == pinned.group(1) == task_queue.WRITTEN_FOR, (
        f"django-tasks-db {installed} is installed, {pinned.group(1)} pinned, the adapter written for "
        f"{task_queue.WRITTEN_FOR}: re-check everything ops/task_queue.py's docstring lists against the new "
        "version (this file's tests say where), then move WRITTEN_FOR and the pin together."
    )


def test_the_library_loop_that_run_worker_copies_is_unchanged():
    source = inspect.getsource(db_worker.Worker.run)

    assert hashlib.sha256(source.encode()).hexdigest() == LIBRARY_LOOP_SHA256, RECHECK.format(
        what="db_worker.Worker.run (its loop)", where="Worker.run and Worker._turn in run_worker.py"
    )


def test_the_worker_internals_the_subclass_relies_on_are_there():
    assert _keywords(db_worker.Worker.__init__) == {
        "queue_names",
        "interval",
        "batch",
        "backend_name",
        "startup_delay",
        "max_tasks",
        "worker_id",
        "excluded_queue_names",
    }, RECHECK.format(what="Worker.__init__", where="run_worker's Command._run_one")
    worker = run_worker.Worker(
        queue_names=["default"],
        interval=1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="adapter-test",
        excluded_queue_names=[],
    )
    read = {"running", "running_task", "_run_tasks", "interval", "batch", "max_tasks", "worker_id", "startup_delay"}
    read |= {"queue_names", "process_all_queues", "excluded_queue_names", "backend_name"}
    missing = sorted(name for name in read if not hasattr(worker, name))
    assert not missing, RECHECK.format(what=f"Worker's attributes (gone: {missing})", where="run_worker's Worker")
    assert list(inspect.signature(db_worker.Worker.run_task).parameters) == ["self", "db_task_result"], RECHECK.format(
        what="Worker.run_task", where="run_worker's Worker._turn"
    )
    assert callable(db_worker.Worker.configure_signals), RECHECK.format(
        what="Worker.configure_signals", where="run_worker's Command._run_one"
    )


def test_the_command_options_run_worker_passes_through_are_there():
    taken = _keywords(run_worker.Command._run_one)

    assert _keywords(db_worker.Command.handle) == taken, RECHECK.format(
        what="db_worker.Command.handle's options", where="run_worker's Command._run_one and _one_worker_arguments"
    )


def test_the_queue_internals_the_claim_and_the_healing_use_are_there():
    for name in ("ready", "running", "finished", "get_locked"):
        assert callable(getattr(DBTaskResultQuerySet, name, None)), RECHECK.format(
            what=f"DBTaskResultQuerySet.{name}", where="QueueWorker.claim_next and the healing queries"
        )
    assert list(inspect.signature(DBTaskResult.claim).parameters) == ["self", "worker_id"], RECHECK.format(
        what="DBTaskResult.claim", where="QueueWorker.claim_next"
    )
    fields = {field.name for field in DBTaskResult._meta.get_fields()}
    used = {"status", "task_path", "args_kwargs", "worker_ids", "started_at", "finished_at", "backend_name"}
    used |= {"queue_name", "exception_class_path", "traceback"}
    gone = sorted(used - fields)
    assert not gone, RECHECK.format(what=f"DBTaskResult's fields (gone: {gone})", where="the adapter")
    assert list(inspect.signature(utils.exclusive_transaction).parameters) == ["using"]
    assert list(inspect.signature(utils.is_locked_database_exception).parameters) == ["e"]


def test_the_prune_command_takes_the_options_and_logs_the_count_the_adapter_reads():
    parser = prune_db_task_results.Command().create_parser("manage.py", "prune_db_task_results")
    options = {action.dest for action in parser._actions}

    assert {"backend", "queue_name", "min_age_days", "failed_min_age_days"} <= options, RECHECK.format(
        what="prune_db_task_results' options", where="task_queue.task_results_prune"
    )
    assert '"Deleted %d task result(s)"' in inspect.getsource(prune_db_task_results.Command.handle), RECHECK.format(
        what="prune_db_task_results' log line (the count)", where="task_queue._DeletedCount"
    )
    assert task_queue.PRUNE_LOGGER == "django_tasks_db.prune_db_task_results"
