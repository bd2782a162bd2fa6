"""The site under the shipped gunicorn configuration, for the tests that need real
processes (limits, outages, decode bombs): a gunicorn on a free loopback port against the
test database, and a guest's browser that talks to it over plain HTTP connections."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection

REPOSITORY = Path(__file__).resolve().parents[2]
# gunicorn.conf.py's own default on this project's 2-core machines (2 x cores + 1).
WORKERS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
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


def server_environment(*, port: int, tmp_path: Path, static_root: Path, drop_prefixes=(), **settings) -> dict:
    """The environment of a gunicorn for a test: this process's, without a cache or a
    worker count of its own (nor variables starting with `drop_prefixes`), on the test
    database, with its own media folder, the collected static files and `settings`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("CACHE_URL", "WEB_CONCURRENCY") and not name.startswith(tuple(drop_prefixes))
    }
    environment.update(
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(static_root),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(WORKERS),
        LOG_LEVEL="WARNING",
    )
    environment.update(settings)
    return environment


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
