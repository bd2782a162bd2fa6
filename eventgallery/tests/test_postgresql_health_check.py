"""The PostgreSQL backend's health check (eventgallery/postgresql/base.py): a connection
that still works is used without a SELECT 1; one the server has closed is replaced
before the request's first query fails on it."""

import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
]


@pytest.fixture
def own_connection():
    """A persistent connection of the project's backend, apart from the test's transaction
    (the test settings close a connection at the end of each request)."""
    settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": 60}
    wrapper = type(connections["default"])(settings_dict, "default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def last_query_of(pid: int) -> str:
    """What the server last ran for that backend, as another connection sees it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def a_request_starts(wrapper) -> None:
    # What request_started does to each connection, then what the first query does first.
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_health_check_failed()


def test_the_backend_is_the_projects():
    assert connection.settings_dict["ENGINE"] == "eventgallery.postgresql"
    assert connection.health_check_enabled or connection.connection is None


def test_a_working_connection_is_used_without_a_select_1(own_connection):
    pid = backend_pid(own_connection)
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 'the last query before the request'")

    a_request_starts(own_connection)

    assert own_connection.health_check_done
    assert last_query_of(pid) == "SELECT 'the last query before the request'"
    assert backend_pid(own_connection) == pid


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(own_connection):
    pid = backend_pid(own_connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until the server has let it go
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.05)

    a_request_starts(own_connection)

    assert own_connection.connection is None  # closed: the next query opens a new one
    assert backend_pid(own_connection) != pid
