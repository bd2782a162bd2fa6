"""Outages answered as outages.

When a service the site needs does not answer (the database, the shared cache), a
request gets a 503 with Retry-After, never a 500 or a page that blames the visitor: a
plain page that needs nothing but the process itself (no database, no session, no
cache), or the API's error shape (api/middleware.py turns every non-JSON answer under
/api/ into it, Retry-After kept). The details go to the log, never to the page.

Where the answer is made: Django's handler500 (ops.views.server_error) for an
exception that reached it from a view or a middleware, the CSRF failure view for a
form posted without its cookie while the pages that would have set it could not be
made, and the API's own exception handler (api/errors.py).
"""

from __future__ import annotations

import redis
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template import loader

# How long a client is asked to wait before trying again.
RETRY_AFTER_S = 30

# A connection refused, reset or timed out (OperationalError); a connection that went
# away in the middle of a request (InterfaceError).
DATABASE_ERRORS = (OperationalError, InterfaceError)


# Redis refused, reset or too slow (its client's socket timeouts, settings.CACHES).
CACHE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def outage_of(exc: BaseException | None) -> str | None:
    """The service an exception says is away ("database", "cache"), or None."""
    if isinstance(exc, DATABASE_ERRORS):
        return "database"
    if isinstance(exc, CACHE_ERRORS):
        return "cache"
    return None


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_ERRORS:
        return False
    return True


def outage_response() -> HttpResponse:
    """The plain 503 page, made without the request (nothing of it can fail)."""
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response
