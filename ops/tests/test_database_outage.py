"""The database away under real gunicorn (the shipped gunicorn.conf.py): PostgreSQL
behind a TCP proxy the test cuts, SQLite's file moved away. Guests get a plain 503 page
with Retry-After (not a CSRF page, not a 500), the API its error shape, /readyz names
the database, /healthz answers; once it is back, everything works again."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest
from django.db import connection

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo
from ops.tests.gunicorn_server import Browser, Gunicorn, database_url, free_port, server_environment
from ops.tests.test_ratelimits_gunicorn import CODE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_outage(tcp_proxy):
    """(the DATABASE_URL for the server, a context manager that takes the database away)."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        proxy = tcp_proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))

        @contextlib.contextmanager
        def away():
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()

        return database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/"), away

    path = Path(connection.settings_dict["NAME"])

    @contextlib.contextmanager
    def file_away():
        # A folder in its place: every connection opened meanwhile fails, as a refused one does.
        hidden = path.with_name(path.name + ".away")
        path.rename(hidden)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            hidden.rename(path)

    return database_url(), file_away


@pytest.fixture
def server(database_outage, static_root, tmp_path):  # noqa: F811
    url, _ = database_outage
    port = free_port()
    environment = server_environment(
        port=port,
        tmp_path=tmp_path,
        static_root=static_root,
        DATABASE_URL=url,
        # A connection per request: SQLite's file, once open, would outlive its move.
        CONN_MAX_AGE="0",
        DATABASE_CONNECT_TIMEOUT_S="2",
    )
    gunicorn = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    yield gunicorn
    gunicorn.stop()


def _is_outage_page(answer) -> bool:
    return (
        answer.status == 503
        and int(answer.headers.get("Retry-After", 0)) > 0
        and answer.headers.get("Content-Type", "").startswith("text/html")
        and "Try again in a minute" in answer.text
        and "Traceback" not in answer.text
        and "CSRF" not in answer.text
    )


def test_guests_and_the_api_are_told_the_database_is_away(server, database_outage):
    _, away = database_outage
    public = make_gallery()
    upload_photo(public)
    private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code=CODE)
    access = f"/g/{private.slug}/access/"
    server.start()
    guest = Browser(server.port)
    guest.open_form(access)  # its CSRF cookie and the form's token, before the outage
    assert guest.get(public.get_absolute_url()).status == 200

    with away():
        gallery_page = guest.get(public.get_absolute_url())
        code = guest.request("POST", access, {"csrfmiddlewaretoken": guest.csrf_token, "code": CODE})
        access_page = Browser(server.port).get(access)  # a new guest, no cookies
        # A form from a page whose cookie never came (its request failed in the outage).
        cookieless = guest.fresh()
        cookieless.cookies.clear()
        no_cookie = cookieless.request("POST", access, {"csrfmiddlewaretoken": guest.csrf_token, "code": CODE})
        api = guest.request("GET", "/api/gallery/")
        ready = guest.request("GET", "/readyz")
        healthy = guest.request("GET", "/healthz")

    assert _is_outage_page(gallery_page), (gallery_page.status, gallery_page.text[:500])
    assert _is_outage_page(code), (code.status, code.text[:500])
    assert _is_outage_page(access_page), (access_page.status, access_page.text[:500])
    assert _is_outage_page(no_cookie), (no_cookie.status, no_cookie.text[:500])
    assert api.status == 503 and int(api.headers["Retry-After"]) > 0
    assert json.loads(api.text)["error"]["code"] == "unavailable"
    assert ready.status == 503 and "database" in json.loads(ready.text)["failing"]
    assert healthy.status == 200

    # Back: the same guest, with the same form, gets in.
    time.sleep(0.5)
    assert guest.post(access, {"code": CODE}) == 302
    assert guest.get(private.get_absolute_url()).status == 200
    assert guest.request("GET", "/api/gallery/").status == 200
