"""One sweeper at a time (ops.services.sweeper_turn): across workers and machines, one
worker sweeps; the others skip their turn. PostgreSQL: a session advisory lock, shown
with a second connection (another worker's, as far as the database can tell); other
databases: a row claim with an expiry."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from ops import sweeps
from ops.models import SweeperClaim
from ops.services import SWEEPER_CLAIM_NAME, SWEEPER_LOCK_KEY, _sweeper_claim, _sweeper_unclaim, sweeper_turn

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's; elsewhere the row claim applies"
)


@pytest.fixture
def other_worker_connection():
    """A second session to the same database, as another worker's."""
    other = connections.create_connection("default")
    yield other
    other.close()


def _try_lock(other) -> bool:
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SWEEPER_LOCK_KEY])
        return cursor.fetchone()[0]


def _unlock(other) -> None:
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEPER_LOCK_KEY])


@postgresql_only
def test_on_postgresql_a_worker_does_not_sweep_while_another_holds_the_lock(db, other_worker_connection):
    assert _try_lock(other_worker_connection)
    with sweeper_turn(holder="me") as mine:
        assert not mine
    _unlock(other_worker_connection)

    with sweeper_turn(holder="me") as mine:
        assert mine
        assert not _try_lock(other_worker_connection)  # held for the whole turn
    assert _try_lock(other_worker_connection)  # and freed after it
    _unlock(other_worker_connection)


@postgresql_only
def test_on_postgresql_the_lock_goes_with_the_session_of_a_sweeper_that_died(db, other_worker_connection):
    assert _try_lock(other_worker_connection)
    other_worker_connection.close()  # its worker died; the database ends its session
    _wait_for_the_session_to_end()

    with sweeper_turn(holder="me") as mine:
        assert mine
    assert not SweeperClaim.objects.exists()  # no row claims on PostgreSQL


def _wait_for_the_session_to_end() -> None:
    """The server ends a session a moment after its client went; until then it holds its locks."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            if not cursor.fetchone()[0]:
                return
        time.sleep(0.05)


def test_the_row_claim_goes_to_one_holder_until_freed(db):
    assert _sweeper_claim(holder="a")
    assert not _sweeper_claim(holder="b")

    _sweeper_unclaim(holder="b")  # not its claim: nothing changes
    assert not _sweeper_claim(holder="b")
    _sweeper_unclaim(holder="a")

    assert _sweeper_claim(holder="b")
    assert not _sweeper_claim(holder="a")


def test_the_row_claim_of_a_sweeper_that_died_expires(db):
    assert _sweeper_claim(holder="dead")
    SweeperClaim.objects.filter(name=SWEEPER_CLAIM_NAME).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _sweeper_claim(holder="alive")
    assert SweeperClaim.objects.get().holder == "alive"


@pytest.fixture
def counted_sweep(monkeypatch):
    runs = []
    monkeypatch.setitem(
        sweeps._registered, "counted", sweeps.Sweep(name="counted", run=lambda: runs.append(1) or 0, counted_as="x")
    )
    return runs


def _run_worker():
    call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="me")


def test_a_worker_that_does_not_get_the_turn_skips_the_sweeps(transactional_db, settings, counted_sweep):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    other = connections.create_connection("default")
    try:
        if connection.vendor == "postgresql":
            assert _try_lock(other)
        else:
            SweeperClaim.objects.create(
                name=SWEEPER_CLAIM_NAME, holder="other", expires_at=timezone.now() + timedelta(minutes=5)
            )

        _run_worker()
        assert counted_sweep == []

        if connection.vendor == "postgresql":
            _unlock(other)
        else:
            SweeperClaim.objects.update(expires_at=timezone.now())
        _run_worker()
        assert counted_sweep == [1]
    finally:
        other.close()
