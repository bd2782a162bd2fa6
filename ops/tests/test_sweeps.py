"""The sweeps the apps register (ops/sweeps.py): what pipeline_heal, manage.py
heal_pipeline and the worker run of them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError

from api.services import pending_uploads_clean
from faces.healing import photo_faces_requeue_stuck
from galleries.healing import photos_requeue_stuck
from galleries.services.closing import galleries_closed_sweep
from galleries.services.stored_files import stored_files_sweep
from galleries.tests.factories import make_gallery, upload_photo
from ops import sweeps
from ops.services import pipeline_heal, task_results_prune_old


@pytest.fixture
def extra_sweep(monkeypatch):
    """Registers a sweep for one test, the registry left as the apps made it after."""

    def register(name, run, **kwargs):
        monkeypatch.setitem(sweeps._registered, name, sweeps.Sweep(name=name, run=run, **kwargs))

    return register


def test_the_apps_register_their_sweeps_in_the_order_of_installed_apps():
    assert [(sweep.name, sweep.run, sweep.counted_as) for sweep in sweeps.registered()] == [
        ("photos", photos_requeue_stuck, "stuck photo(s) queued again"),
        ("closed_galleries", galleries_closed_sweep, "closed gallery(ies) whose face data was deleted"),
        ("stored_files", stored_files_sweep, "file(s) without a row deleted"),
        ("face_indexes", photo_faces_requeue_stuck, "stuck face index(es) queued again"),
        ("task_results", task_results_prune_old, "old task result(s) deleted"),
        ("pending_uploads", pending_uploads_clean, "unattached API upload(s) deleted"),
    ]


def test_a_registered_sweep_is_run_by_the_heal_and_counted_in_its_report(db, extra_sweep):
    extra_sweep("downloads", lambda: 3, counted_as="download(s)")

    report = pipeline_heal()
    out = StringIO()
    call_command("heal_pipeline", stdout=out)

    assert report and report.downloads == 3
    assert (report.tasks, report.photos, report.face_indexes) == (0, 0, 0)
    assert out.getvalue() == (
        "Swept: 0 task(s) of lost workers queued again, 0 stuck photo(s) queued again, "
        "0 closed gallery(ies) whose face data was deleted, 0 file(s) without a row deleted, "
        "0 stuck face index(es) queued again, 0 old task result(s) deleted, 0 unattached API upload(s) deleted, "
        "3 download(s).\n"
    )
    with pytest.raises(AttributeError):
        report.favourites  # noqa: B018 (no sweep of that name)


def test_a_sweep_name_must_be_an_identifier_other_than_tasks():
    for name in ("tasks", "face indexes", ""):
        with pytest.raises(ValueError):
            sweeps.register(name, lambda: 0, counted_as="x")


def test_the_worker_runs_a_sweep_with_every_s_at_most_that_often(transactional_db, settings, extra_sweep):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_SWEEP_INTERVAL_S = 0  # a sweep at every turn of the loop
    gallery = make_gallery()
    upload_photo(gallery, process=False)
    upload_photo(gallery, process=False)
    runs = {"every_turn": 0, "hourly": 0}

    def counted(name):
        def run():
            runs[name] += 1
            return 0

        return run

    extra_sweep("every_turn", counted("every_turn"), counted_as="turn(s)")
    extra_sweep("hourly", counted("hourly"), counted_as="hour(s)", every_s=3600)

    call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="sweeper")

    # A turn for each of the two photos and one that finds nothing left.
    assert runs["every_turn"] >= 3
    assert runs["hourly"] == 1

    # Another worker sharing the cache, just started: the hourly sweep is not due for it either.
    turns = runs["every_turn"]
    call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="another")
    assert runs["every_turn"] > turns
    assert runs["hourly"] == 1


def test_a_sweep_that_fails_is_logged_and_the_ones_after_it_still_run(db, extra_sweep, caplog):
    def storage_away():
        raise ConnectionError("the storage does not answer")

    extra_sweep("files", storage_away, counted_as="file(s)")
    extra_sweep("downloads", lambda: 3, counted_as="download(s)")

    report = pipeline_heal()

    assert (report.files, report.downloads) == (0, 3)
    assert "The sweep files failed; the others go on" in caplog.text


def test_a_sweep_that_finds_the_database_away_stops_the_round(db, extra_sweep):
    def database_away():
        raise OperationalError("the database does not answer")

    extra_sweep("files", database_away, counted_as="file(s)")

    with pytest.raises(OperationalError):
        pipeline_heal()
