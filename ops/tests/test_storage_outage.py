"""S3 frozen under real gunicorn (the shipped gunicorn.conf.py and the shipped S3
timeouts): moto in server mode, stopped with SIGSTOP while each uploader stores a
photo. Every uploader (the admin's, the guests', the API's) gives up within a bounded
time with a 503 and Retry-After, and leaves nothing behind: no row, no object."""

from __future__ import annotations

import http.client
import io
import json
import time
import uuid

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from api.models import PendingUpload
from api.tests.factories import make_api_key
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, unique_jpeg
from ops.tests.gunicorn_server import Browser, Gunicorn, free_port, server_environment

pytestmark = pytest.mark.django_db(transaction=True)

# The shipped S3 timeouts bound a frozen S3's hold on an upload to about 10 s; this is
# the bound for a loaded test machine, not a measure of speed.
GIVES_UP_WITHIN_S = 25


@pytest.fixture
def bucket(s3_server):
    name = f"frozen-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def server(s3_server, bucket, static_root, tmp_path):  # noqa: F811
    port = free_port()
    environment = server_environment(
        port=port,
        tmp_path=tmp_path,
        static_root=static_root,
        drop_prefixes=("AWS_S3_",),
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_S3_REGION_NAME="us-east-1",
        AWS_S3_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_S3_ADDRESSING_STYLE="path",
    )
    gunicorn = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    yield gunicorn
    gunicorn.stop()


def _post_file(port, path, *, field, content, cookies=None, headers=None, fields=None):
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in (fields or {}).items():
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="IMG_1.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    body.write(content + f"\r\n--{boundary}--\r\n".encode())
    all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        conn.request("POST", path, body=body.getvalue(), headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        return response.status, dict(response.headers.items()), text, time.perf_counter() - started
    finally:
        conn.close()


def _signed_in(port, user) -> Browser:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    browser = Browser(port, cookies={"sessionid": session.session_key})
    return browser


def test_every_uploader_gives_up_on_a_frozen_s3_with_a_503(server, s3_server, bucket):
    organizer = make_user(superuser=True, username="frozen-organizer")
    gallery = make_gallery(guest_uploads=Gallery.GuestUploads.OPEN)
    api_key = make_api_key(organizer)
    server.start()
    admin = _signed_in(server.port, organizer)
    assert admin.get(f"/admin/galleries/gallery/{gallery.pk}/change/").status == 200
    guest = Browser(server.port)
    guest.open_form(f"/g/{gallery.slug}/upload/")
    json_accept = {"Accept": "application/json"}

    answers = {}
    with s3_server.unavailable():
        answers["admin"] = _post_file(
            server.port,
            f"/admin/galleries/gallery/{gallery.pk}/upload/",
            field="photos",
            content=unique_jpeg(),
            cookies=admin.cookies,
            headers={**json_accept, "X-CSRFToken": admin.cookies["csrftoken"]},
        )
        answers["guest"] = _post_file(
            server.port,
            f"/g/{gallery.slug}/upload/",
            field="photos",
            content=unique_jpeg(),
            cookies=guest.cookies,
            headers=json_accept,
            fields={"csrfmiddlewaretoken": guest.csrf_token, "name": "Ann"},
        )
        answers["guest form"] = _post_file(
            server.port,
            f"/g/{gallery.slug}/upload/",
            field="photos",
            content=unique_jpeg(),
            cookies=guest.cookies,
            fields={"csrfmiddlewaretoken": guest.csrf_token, "name": "Ann"},
        )
        answers["api"] = _post_file(
            server.port,
            "/api/image/upload",
            field="file",
            content=unique_jpeg(),
            headers={"Authorization": f"Bearer {api_key}"},
        )

    for uploader, (status, _, _, seconds) in answers.items():
        print(f"{uploader}: {status} in {seconds:.1f} s")
    for uploader, (status, headers, text, seconds) in answers.items():
        assert status == 503, (uploader, status, text[:500])
        assert int(headers.get("Retry-After", 0)) > 0, uploader
        assert seconds < GIVES_UP_WITHIN_S, (uploader, seconds)
        assert "Traceback" not in text
    assert json.loads(answers["admin"][2])["results"][0]["ok"] is False
    assert json.loads(answers["guest"][2])["results"][0]["ok"] is False
    assert "storage unavailable" in answers["guest form"][2]
    assert json.loads(answers["api"][2])["error"]["code"] == "storage_unavailable"
    # Nothing left behind.
    assert not Photo.objects.exists()
    assert not PendingUpload.objects.exists()
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    # And S3 back, the same uploaders store again.
    status, *_ = _post_file(
        server.port,
        "/api/image/upload",
        field="file",
        content=unique_jpeg(),
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert status == 201
