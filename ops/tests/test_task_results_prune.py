"""The queue's finished rows pruned by the worker's hourly sweep (ops.services.task_results_prune_old,
through django-tasks-db's own prune_db_task_results)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from ops import sweeps
from ops.services import pipeline_heal, task_results_prune_old


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_RESULTS_KEEP_DAYS = 3
    settings.TASK_RESULTS_FAILED_KEEP_DAYS = 14


def task(name: str, *, status: str, finished_days_ago: float | None = None, queue: str = "default") -> DBTaskResult:
    finished_at = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return DBTaskResult.objects.create(
        task_path="galleries.tasks.process_photo",
        args_kwargs={"args": [], "kwargs": {"photo_id": name}},
        backend_name="default",
        queue_name=queue,
        run_after=get_date_max(),
        status=status,
        started_at=finished_at,
        finished_at=finished_at,
    )


def kept() -> set[str]:
    return set(DBTaskResult.objects.values_list("args_kwargs__kwargs__photo_id", flat=True))


def test_it_deletes_old_finished_rows_of_every_queue_and_keeps_recent_and_unfinished_ones(db):
    task("old", status="SUCCESSFUL", finished_days_ago=4)
    task("old in another queue", status="SUCCESSFUL", finished_days_ago=30, queue="faces")
    task("recent", status="SUCCESSFUL", finished_days_ago=2)
    task("failed a while ago", status="FAILED", finished_days_ago=10)
    task("failed long ago", status="FAILED", finished_days_ago=15)
    task("waiting", status="READY")
    task("running", status="RUNNING", finished_days_ago=None)

    deleted = task_results_prune_old()

    assert deleted == 3
    assert kept() == {"recent", "failed a while ago", "waiting", "running"}


def test_the_keeping_times_are_settings(db, settings):
    settings.TASK_RESULTS_KEEP_DAYS = 1
    settings.TASK_RESULTS_FAILED_KEEP_DAYS = 5
    task("two days", status="SUCCESSFUL", finished_days_ago=2)
    task("failed four days ago", status="FAILED", finished_days_ago=4)
    task("failed six days ago", status="FAILED", finished_days_ago=6)

    assert task_results_prune_old() == 2
    assert kept() == {"failed four days ago"}


def test_it_is_an_hourly_sweep_counted_in_the_heal_report(db):
    task("old", status="SUCCESSFUL", finished_days_ago=4)
    sweep = next(sweep for sweep in sweeps.registered() if sweep.name == "task_results")

    report = pipeline_heal(sweeps=[sweep])

    assert sweep.every_s == 3600
    assert report.task_results == 1
    assert kept() == set()


def test_it_deletes_nothing_where_the_tasks_are_not_kept_in_the_database(db, settings):
    task("old", status="SUCCESSFUL", finished_days_ago=4)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    assert task_results_prune_old() == 0
    assert kept() == {"old"}
