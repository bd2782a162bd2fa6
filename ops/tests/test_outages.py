"""The outage answers in process: handler500 tells an outage from a bug, and the CSRF
failure view is Django's own while the database answers."""

import redis
from django.db import OperationalError
from django.test import Client, RequestFactory

from ops import views


def _answer_to(exc: Exception):
    request = RequestFactory().get("/g/some-gallery/")
    try:
        raise exc
    except Exception:
        return views.server_error(request)


def test_a_database_or_cache_outage_answers_503_with_retry_after():
    for exc in (OperationalError("connection refused"), redis.exceptions.ConnectionError("refused")):
        response = _answer_to(exc)

        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        assert "Try again in a minute" in response.content.decode()
        assert "refused" not in response.content.decode()


def test_any_other_error_is_still_a_500():
    response = _answer_to(ValueError("a bug"))

    assert response.status_code == 500
    assert not response.has_header("Retry-After")


def test_a_form_without_its_csrf_cookie_gets_django_s_403_while_the_database_answers(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/g/some-gallery/access/", {"code": "x"})

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
