"""A malformed multipart body is the sender's fault on every route of the API: a 400 in
the API's error shape where the route reads a body, never a 500 anywhere. Also over
real HTTP, with the connection dropped in the middle of an upload."""

import re
import socket
from urllib.parse import urlsplit

import pytest

from api.api import api
from api.tests.factories import bearer, make_api_key
from eventgallery.tests.multipart_bodies import BOUNDARY, malformed_bodies, multipart_body
from faces.tests.find_me import face_search_gallery
from galleries.tests.factories import make_user, unique_jpeg, upload_photo

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODIES = malformed_bodies(fields={"consent": "true"}, files={"file": ("IMG_0001.jpg", unique_jpeg())})
API_PATTERNS = api.urls[0]
# Every route of the API as written in its URL patterns (the hidden file route too).
ROUTES = sorted({str(pattern.pattern) for pattern in API_PATTERNS})
# Routes with a POST operation in the OpenAPI schema read a body.
ROUTES_WITH_BODY = {
    path.removeprefix("/api/").replace("{", "<").replace("}", ">")
    for path, operations in api.get_openapi_schema()["paths"].items()
    if "post" in operations
}


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def _url(route, *, gallery, photo) -> str:
    values = {"gallery_id": gallery.pk, "photo_id": photo.key, "token": "not-a-token"}
    return "/api/" + re.sub(r"<(\w+)>", lambda match: str(values[match.group(1)]), route)


def test_the_routes_that_read_a_body_are_the_ones_expected():
    # Guards the loop below: if the schema stopped listing them, the test would prove little.
    assert {"image/upload", "gallery/<gallery_id>/find-me", "gallery/", "rekognition/compare"} <= ROUTES_WITH_BODY
    assert "files/<token>" in ROUTES and "docs" in ROUTES


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("route", ROUTES)
def test_a_malformed_multipart_body_is_never_a_server_error(route, kind, db):
    content_type, body = BODIES[kind]
    key = make_api_key(make_user(superuser=True))
    gallery = face_search_gallery()
    photo = upload_photo(gallery)
    url = _url(route, gallery=gallery, photo=photo)
    from django.test import Client

    client = Client(raise_request_exception=False)

    for method in METHODS:
        response = client.generic(method, url, data=body, content_type=content_type, **bearer(key))

        assert response.status_code < 500, (method, url, response.content)
        if method == "POST" and route in ROUTES_WITH_BODY:
            _assert_error(response, 400, "malformed_body")
        elif response.status_code >= 400:
            assert set(response.json()) == {"error"}


@pytest.mark.parametrize("kind", BODIES)
def test_an_upload_with_a_malformed_body_says_so_and_stores_nothing(client, owner_key, kind, any_storage):
    content_type, body = BODIES[kind]

    response = client.post("/api/image/upload", data=body, content_type=content_type, **bearer(owner_key))

    _assert_error(response, 400, "malformed_body")
    assert any_storage() == []


@pytest.mark.parametrize("kind", BODIES)
def test_find_me_with_a_malformed_body_says_so(client, db, kind):
    gallery = face_search_gallery()
    content_type, body = BODIES[kind]

    response = client.post(f"/api/gallery/{gallery.pk}/find-me", data=body, content_type=content_type)

    _assert_error(response, 400, "malformed_body")


def test_a_well_formed_body_still_uploads(client, owner_key):
    body = multipart_body(fields={}, files={"file": ("IMG_0001.jpg", unique_jpeg())})

    response = client.post(
        "/api/image/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **bearer(owner_key),
    )

    assert response.status_code == 201, response.content


def test_an_upload_cut_off_by_a_dropped_connection_is_a_bad_request_over_http(live_server, transactional_db):
    key = make_api_key(make_user(staff=True))
    body = multipart_body(fields={}, files={"file": ("IMG_0001.jpg", unique_jpeg(width=1200, height=900))})
    address = urlsplit(live_server.url)
    head = (
        f"POST /api/image/upload HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )

    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        # Half the body, then the client stops sending, as a phone losing its network does.
        connection.sendall(head.encode() + body[: len(body) // 2])
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, content = rest.partition(b"\r\n\r\n")
    assert status_line.split()[1] == b"400", answer[:500]
    assert b"content-type: application/json" in headers.lower()
    assert b'"code": "malformed_body"' in content
