"""The limits under the shipped gunicorn configuration: real gunicorn with
gunicorn.conf.py (5 workers, 2 threads each) against the test database, tries sent
concurrently over several connections and from several loopback addresses, and
exactly the allowed number let through across the workers; then gunicorn is restarted
and the counters have held. Once with the default store (the database's table) and
once with CACHE_URL naming Redis."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from faces.tests.find_me import face_search_gallery
from galleries.models import Gallery
from galleries.tests.factories import make_gallery
from ops import ratelimits
from ops.models import RateLimitCounter
from ops.ratelimits import Limit
from ops.tests.test_ratelimits import REDIS_URL

REPOSITORY = Path(__file__).resolve().parents[2]
WORKERS = 5
CONNECTIONS = 6
CODE = "sunset-42"

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The test database, as DATABASE_URL names it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
    return f"postgres://{credentials}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Gunicorn:
    port: int
    environment: dict
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "eventgallery.wsgi", "-c", "gunicorn.conf.py"],
                cwd=REPOSITORY,
                env=self.environment,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(self.port).get("/healthz").status == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gunicorn did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        """The worker processes of this gunicorn (children of its master)."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                except OSError:
                    continue
                if parent == self.process.pid:
                    children.append(int(entry.name))
        return children

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected as the image does at build time (the pages need the manifest)."""
    folder = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=REPOSITORY,
        env={**os.environ, "STATIC_ROOT": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()
        request.addfinalizer(client.flushdb)
        return client
    return None


@pytest.fixture
def gunicorn(store, static_root, transactional_db, tmp_path):
    environment = {name: value for name, value in os.environ.items() if name not in ("CACHE_URL", "WEB_CONCURRENCY")}
    port = _free_port()
    environment.update(
        # What a test database needs; everything else is the shipped default.
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(static_root),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # gunicorn.conf.py's own default on this project's 2-core machines (2 × cores + 1).
        WEB_CONCURRENCY=str(WORKERS),
        LOG_LEVEL="WARNING",
    )
    if store is not None:
        environment["CACHE_URL"] = REDIS_URL
    server = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    yield server
    server.stop()


@dataclass
class Answer:
    status: int
    cookies: dict
    text: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Browser:
    """One guest's browser: its cookies, the address it connects from. Every request
    opens a connection of its own, so that concurrent ones reach several workers."""

    port: int
    source: str = "127.0.0.1"
    cookies: dict = field(default_factory=dict)
    csrf_token: str = ""

    def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.source, 0))
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = None
            if data is not None:
                body = urlencode(data)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            body = response.read()
            text = body.decode(errors="replace")
            cookies = {}
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
            return Answer(response.status, cookies, text, dict(response.headers.items()), body)
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        answer = self.request("GET", path)
        self.cookies.update(answer.cookies)
        return answer

    def post(self, path: str, data: dict, *, keep_cookies: bool = True) -> int:
        answer = self.request("POST", path, {"csrfmiddlewaretoken": self.csrf_token, **data})
        if keep_cookies:
            self.cookies.update(answer.cookies)
        return answer.status

    def open_form(self, path: str) -> None:
        """Loads the page with the form: the CSRF cookie and the form's token."""
        page = self.get(path)
        assert page.status == 200, page.text[:500]
        self.csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def fresh(self, source: str | None = None) -> Browser:
        """Another browser (no device cookie) with this one's CSRF token: a cleared cookie jar."""
        cookies = {"csrftoken": self.cookies["csrftoken"]}
        return Browser(self.port, source or self.source, cookies, self.csrf_token)


def _all_at_once(calls) -> Counter:
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        return Counter(pool.map(lambda call: call(), calls))


def _counted(store, scope: str, identity: str) -> int:
    bucket = Limit(scope, identity, 0, 0).bucket
    if store is not None:
        return int(store.get(ratelimits.REDIS_KEY_PREFIX + bucket) or 0)
    return RateLimitCounter.objects.get(bucket=bucket).count


def test_the_limits_hold_across_gunicorn_workers_and_restarts(gunicorn, store):
    private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code=CODE)
    other_private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="other-code")
    find_me = face_search_gallery()
    access = f"/g/{private.slug}/access/"
    search = f"/g/{find_me.slug}/find-me/"
    per_device = django_settings.ACCESS_CODE_TRIES_PER_DEVICE
    per_address = django_settings.ACCESS_CODE_TRIES_PER_ADDRESS
    per_gallery = django_settings.ACCESS_CODE_TRIES_PER_GALLERY
    searches_per_device = django_settings.FACE_SEARCHES_PER_WINDOW
    searches_per_address = django_settings.FACE_SEARCHES_PER_ADDRESS
    assert (per_device, per_address, per_gallery) == (10, 30, 60)
    assert (searches_per_device, searches_per_address) == (10, 300)
    gunicorn.start()
    assert len(gunicorn.workers()) == WORKERS

    # Access codes, one device: its first wrong code gets it its cookie; then twice its
    # limit at once over several connections.
    guesser = Browser(gunicorn.port)
    guesser.open_form(access)
    first = guesser.post(access, {"code": "guess-0"})
    device_cookie = guesser.cookies[ratelimits.DEVICE_COOKIE]
    statuses = _all_at_once(
        [lambda n=n: guesser.post(access, {"code": f"guess-{n}"}) for n in range(1, 2 * per_device)]
    ) + Counter([first])
    assert statuses == {403: per_device, 429: per_device}
    assert guesser.cookies[ratelimits.DEVICE_COOKIE] == device_cookie

    # The same address, a fresh device for every try (cookies cleared each time).
    statuses = _all_at_once([lambda n=n: guesser.fresh().post(access, {"code": f"fresh-{n}"}) for n in range(40)])
    assert statuses == {403: per_address - per_device, 429: 40 - (per_address - per_device)}

    # Many addresses and devices against the one gallery.
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    statuses = _all_at_once(
        [lambda n=n: guesser.fresh(sources[n % 3]).post(access, {"code": f"spread-{n}"}) for n in range(45)]
    )
    assert statuses == {403: per_gallery - per_address, 429: 45 - (per_gallery - per_address)}

    # Find me, one device, then fresh devices from its address.
    guest = Browser(gunicorn.port)
    guest.open_form(search)
    first = guest.post(search, {"consent": "on"})
    statuses = _all_at_once([lambda: guest.post(search, {"consent": "on"}) for _ in range(2 * searches_per_device - 1)])
    assert statuses + Counter([first]) == {400: searches_per_device, 429: searches_per_device}
    statuses = _all_at_once(
        [lambda: guest.fresh().post(search, {"consent": "on"}, keep_cookies=False) for _ in range(searches_per_address)]
    )
    assert statuses == {400: searches_per_address - searches_per_device, 429: searches_per_device}

    device = guest.cookies[ratelimits.DEVICE_COOKIE].split(":")[0]
    assert _counted(store, "find-me-device", f"cookie:{device}") == searches_per_device
    assert _counted(store, "find-me-address", "127.0.0.1") == searches_per_address
    assert _counted(store, "access-code-gallery", str(private.pk)) == per_gallery

    # A restart forgets nothing.
    gunicorn.stop()
    gunicorn.start()

    assert guesser.post(access, {"code": CODE}) == 429  # the device
    assert guesser.fresh().post(access, {"code": CODE}) == 429  # its address
    assert guesser.fresh("127.0.0.5").post(access, {"code": "wrong"}) == 429  # the gallery, for wrong codes
    assert guesser.fresh("127.0.0.5").post(access, {"code": CODE}) == 302  # the right code still gets in
    other = guesser.fresh("127.0.0.5")
    other.open_form(f"/g/{other_private.slug}/access/")
    assert other.post(f"/g/{other_private.slug}/access/", {"code": "OTHER-CODE"}) == 302
    assert guest.post(search, {"consent": "on"}) == 429  # the device
    assert guest.fresh().post(search, {"consent": "on"}) == 429  # its address
    assert guest.fresh("127.0.0.5").post(search, {"consent": "on"}) == 400
