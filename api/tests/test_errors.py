"""Every failure under /api/ answers {"error": {"code", "message"}}: unknown routes,
wrong methods, malformed bodies, oversized bodies, server errors. And CORS."""

import pytest

from api.tests.factories import bearer
from galleries.tests.factories import make_gallery


def _assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_an_unknown_route_is_not_found(client, db):
    _assert_error(client.get("/api/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_not_allowed(client, db):
    response = client.put("/api/gallery/")

    _assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_malformed_json_body_is_a_bad_request(client, owner_key):
    response = client.post("/api/gallery/", "{name: ", content_type="application/json", **bearer(owner_key))

    _assert_error(response, 400, "malformed_body")


def test_a_body_that_is_not_an_object_names_the_problem(client, owner_key):
    response = client.post("/api/gallery/", "[1, 2]", content_type="application/json", **bearer(owner_key))

    assert response.status_code in (400, 422)
    assert "error" in response.json()


def test_a_gallery_id_that_is_not_a_number_names_the_field(client, db):
    response = client.get("/api/gallery/abc")

    _assert_error(response, 422, "invalid")
    assert response.json()["error"]["field"] == "gallery_id"


def test_an_oversized_json_body_is_refused_before_it_is_read(client, owner_key, settings):
    settings.API_MAX_BODY_MB = 1
    body = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'

    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    _assert_error(response, 413, "too_large")


def test_a_json_body_larger_than_a_forms_limit_is_read_within_the_apis(client, owner_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"name": "party", "description": "' + "x" * 4096 + '"}'

    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    assert response.status_code == 201


def test_a_server_error_says_nothing_of_the_exception(owner_key, monkeypatch, caplog):
    from django.test import Client

    def fail(**kwargs):
        raise RuntimeError("secret internals /srv/app/settings.py")

    monkeypatch.setattr("galleries.services.galleries.gallery_create", fail)
    client = Client(raise_request_exception=False)

    response = client.post("/api/gallery/", {"name": "x"}, content_type="application/json", **bearer(owner_key))

    _assert_error(response, 500, "server_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("debug", [False, True])
def test_errors_keep_their_shape_in_debug_mode_too(client, db, settings, debug):
    settings.DEBUG = debug

    _assert_error(client.get("/api/nothing-here"), 404, "not_found")
    _assert_error(client.get("/api/gallery/999999"), 404, "not_found")


def test_pages_outside_the_api_keep_their_html_errors(client, db):
    response = client.get("/g/no-such-gallery/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_cors_headers_are_sent_to_configured_origins_on_the_api_only(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    make_gallery()
    origin = {"HTTP_ORIGIN": "https://app.example.com"}

    api = client.get("/api/gallery/", **origin)
    page = client.get("/", **origin)
    stranger = client.get("/api/gallery/", HTTP_ORIGIN="https://evil.example.com")
    preflight = client.options(
        "/api/gallery/",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        **origin,
    )

    assert api["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in page
    assert "Access-Control-Allow-Origin" not in stranger
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_the_docs_and_the_schema_are_served(client, db):
    schema = client.get("/api/openapi.json").json()

    assert client.get("/api/docs").status_code == 200
    assert {"/api/gallery/", "/api/image/upload", "/api/rekognition/compare", "/api/rekognition/detect"} <= set(
        schema["paths"]
    )
