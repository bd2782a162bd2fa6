"""Redis stopped under a running server (the red team's recipe): real gunicorn with the
shipped gunicorn.conf.py and CACHE_URL on a Redis the test starts on a free port, then
kills, then freezes. The gallery page, access codes, a ZIP and Find me answer as they
should (never a 500), the limits go on counting in the database, an unlocked guest
stays unlocked (sessions live in the database), /readyz answers 503 naming the cache
and /healthz 200; when Redis is back, /readyz is ready again."""

from __future__ import annotations

import http.client
import io
import json
import shutil
import signal
import subprocess
import time
import uuid
import zipfile

import pytest
import redis
from django.utils import timezone

from faces.tests.find_me import face_search_gallery, jpeg
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.images import photo as flat_image
from ops.models import RateLimitCounter, WorkerHeartbeat
from ops.tests.gunicorn_server import Browser, Gunicorn, free_port, server_environment
from ops.tests.test_ratelimits_gunicorn import CODE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


class RedisServer:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tmp_path
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(redis_server, static_root, tmp_path):  # noqa: F811
    port = free_port()
    environment = server_environment(port=port, tmp_path=tmp_path, static_root=static_root, CACHE_URL=redis_server.url)
    gunicorn = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    yield gunicorn
    gunicorn.stop()


def _multipart(port: int, path: str, browser: Browser, fields: dict, files: dict) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
        )
        body.write(content + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items()),
        }
        conn.request("POST", path, body=body.getvalue(), headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def _readyz(browser: Browser) -> tuple[int, list]:
    answer = browser.request("GET", "/readyz")
    return answer.status, json.loads(answer.text)["failing"]


def _timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_the_site_goes_on_without_redis_and_readyz_says_so(server, redis_server):
    WorkerHeartbeat.objects.create(
        worker_id="test", hostname="test", pid=1, started_at=timezone.now(), last_seen_at=timezone.now()
    )
    public = make_gallery()
    photos = [upload_photo(public) for _ in range(2)]
    private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code=CODE)
    find_me = face_search_gallery()
    access = f"/g/{private.slug}/access/"
    server.start()

    guest = Browser(server.port)
    assert guest.get(public.get_absolute_url()).status == 200
    assert guest.get(public.get_absolute_url()).status == 200  # now from the cache
    assert redis.Redis.from_url(redis_server.url).dbsize() > 0
    unlocked = Browser(server.port)
    unlocked.open_form(access)
    assert unlocked.post(access, {"code": CODE}) == 302
    assert _readyz(guest) == (200, [])

    redis_server.kill()

    page, page_s = _timed(lambda: guest.get(public.get_absolute_url()))
    assert page.status == 200 and all(str(photo.key) in page.text for photo in photos)
    newcomer = Browser(server.port, source="127.0.0.2")
    newcomer.open_form(access)
    wrong, wrong_s = _timed(lambda: newcomer.post(access, {"code": "a-guess"}))
    assert wrong == 403
    assert newcomer.post(access, {"code": CODE}) == 302
    assert newcomer.get(private.get_absolute_url()).status == 200
    # Unlocked before Redis went: still in (the session is in the database).
    assert unlocked.get(private.get_absolute_url()).status == 200
    zip_answer = guest.request("GET", f"/g/{public.slug}/download/")
    assert zip_answer.status == 200, zip_answer.text[:300]
    assert len(zipfile.ZipFile(io.BytesIO(zip_answer.body)).namelist()) == len(photos)
    searcher = Browser(server.port)
    searcher.open_form(f"/g/{find_me.slug}/find-me/")
    status, text = _multipart(
        server.port,
        f"/g/{find_me.slug}/find-me/",
        searcher,
        {"csrfmiddlewaretoken": searcher.csrf_token, "consent": "on"},
        {"selfie": ("selfie.jpg", jpeg(flat_image(640, 480)))},
    )
    assert status in (200, 302, 400), text[:500]  # a search made (no face in a flat image), not an error
    # The limits counted in the database meanwhile.
    assert RateLimitCounter.objects.filter(bucket__startswith="access-code-gallery:").get().count == 1
    assert RateLimitCounter.objects.filter(bucket__startswith="find-me-device:").exists()
    (ready, failing), ready_s = _timed(lambda: _readyz(guest))
    assert (ready, failing) == (503, ["cache"])
    assert guest.request("GET", "/healthz").status == 200
    print(f"Redis killed: gallery page {page_s:.3f} s, wrong code {wrong_s:.3f} s, /readyz {ready_s:.3f} s")

    # Back (empty: it kept nothing), then frozen: answers wait at most the cache's timeout.
    redis_server.start()
    deadline = time.monotonic() + 30
    while _readyz(guest) != (200, []):
        assert time.monotonic() < deadline, "/readyz did not come back with Redis"
        time.sleep(0.2)
    assert guest.get(public.get_absolute_url()).status == 200
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        page, page_s = _timed(lambda: guest.get(public.get_absolute_url()))
        assert page.status == 200
        third = Browser(server.port, source="127.0.0.3")
        third.open_form(access)
        assert third.post(access, {"code": CODE}) == 302
        (ready, failing), ready_s = _timed(lambda: _readyz(guest))
        assert (ready, failing) == (503, ["cache"])
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    print(f"Redis frozen: gallery page {page_s:.3f} s, /readyz {ready_s:.3f} s")
