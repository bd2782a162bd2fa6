"""Schemathesis against the OpenAPI schema, in process through the WSGI app: whatever
the schema allows, with a valid API key so that writes run too, the API never answers
with a server error, and its answers keep to the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api.tests.factories import make_api_key
from eventgallery.wsgi import application
from galleries.tests.factories import make_gallery

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def api_key(owner):
    # Galleries with the first ids, so that the generated ids meet real ones now and then.
    make_gallery(owner=owner, face_search_enabled=True)
    make_gallery(owner=owner, is_published=False)
    return make_api_key(owner)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema_and_never_fails_on_its_side(case, api_key):
    response = case.call(headers={"Authorization": f"Bearer {api_key}"})

    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
