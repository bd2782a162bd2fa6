"""Schemathesis against the OpenAPI schema, in process through the WSGI app: whatever
the schema allows, with a valid API key so that writes run too, the API never answers
with a server error, and its answers keep to the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api.tests.factories import make_api_key
from eventgallery.wsgi import application
from galleries.tests.factories import make_gallery

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture(autouse=True)
def _database_connection_kept_open():
    """As Django's test client does: the WSGI app closes connections when a request
    starts and ends, which would close the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(owner):
    # Galleries with the first ids, so that the generated ids meet real ones now and then.
    make_gallery(owner=owner, face_search_enabled=True)
    make_gallery(owner=owner, is_published=False)
    return make_api_key(owner)


# derandomize: the same examples on every run, so that CI never fails on a new random
# draw. Turn it off locally to explore further (random draws found NUL characters in
# gallery names, which PostgreSQL cannot store).
@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema_and_never_fails_on_its_side(case, api_key):
    response = case.call(headers={"Authorization": f"Bearer {api_key}"})

    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
