"""What every benchmark shares: a throwaway project, its migrations, a gunicorn on a free
port, timing, and the printed table.

A benchmark runs against a project of its own in a temporary directory (its SQLite
database, media and collected static files), never against a developer's: `project()`
makes one and its environment, in which empty storage settings win over a `.env` (photos
on local storage, as on one box) and DEBUG is off with plain HTTP (as behind a
TLS-terminating proxy). `django_setup(env)` loads Django in this process on that
environment; `migrate(env)` runs the migrations there or, before Django is loaded, in a
`manage.py` of its own. `gunicorn(env)` serves the project with its gunicorn.conf.py on a
free loopback port and stops it whatever happens. Figures come from `Stopwatch` (wall
and CPU time) and go out through `table()`.

Each script keeps its own measurements and verdict; only this set-up is shared.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark-only-secret-key"

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def project_env(root: Path, **settings: str) -> dict[str, str]:
    """The environment of a project living in `root`, plus `settings` (names as in
    docs/configuration.md). Only the project's own variables: merge with os.environ to run
    a process in it."""
    return {
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "false",
        # Benchmarks speak plain HTTP, as a TLS-terminating proxy would.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "MEDIA_ROOT": str(root / "media"),
        "STATIC_ROOT": str(root / "static"),
        "LOG_LEVEL": "WARNING",
        # Empty values win over a developer's .env: photos on local storage.
        "AWS_STORAGE_BUCKET_NAME": "",
        "S3_BUCKET": "",
        **settings,
    }


@contextlib.contextmanager
def project(prefix: str = "eventgallery-bench-", **settings: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary directory with an empty media folder, and the project environment there;
    both gone afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        root = Path(directory)
        (root / "media").mkdir()
        yield root, project_env(root, **settings)


def django_setup(env: dict[str, str] | None = None) -> None:
    """Loads Django in this process, on `env` (added to os.environ) and the project's settings."""
    import django

    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventgallery.settings")
    # A script that needs no project of its own (the face benchmarks) runs without a .env too.
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    django.setup()


def manage(env: dict[str, str], *args: str, cwd: Path = PROJECT_ROOT, timeout_s: float = 600) -> str:
    """`manage.py <args>` in a process of its own on `env`; its output, or the script
    stops with what it said."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def migrate(env: dict[str, str] | None = None, *, collectstatic: bool = False, cwd: Path = PROJECT_ROOT) -> None:
    """The project's migrations (and its static files, for pages served with DEBUG off):
    in this process once django_setup() ran, else in a manage.py of its own on `env`."""
    from django.apps import apps

    if apps.ready and cwd == PROJECT_ROOT:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        if collectstatic:
            call_command("collectstatic", verbosity=0, interactive=False)
        return
    if env is None:
        raise ValueError("migrate() needs the project's env before django_setup()")
    manage(env, "migrate", "--noinput", cwd=cwd)
    if collectstatic:
        manage(env, "collectstatic", "--noinput", cwd=cwd)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout_s: float = 30) -> None:
    """Until `url` answers (any status: /readyz may be 503 without a worker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout_s:.0f} s")


@dataclass
class Server:
    process: subprocess.Popen
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def gunicorn_command(address: str, *, config: bool = True, workers: int = 2, threads: int | None = None) -> list[str]:
    """gunicorn serving the project on `address`: with the project's gunicorn.conf.py (the
    production workers, threads and recycling), or `workers` x `threads` without it."""
    script = Path(sys.executable).with_name("gunicorn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["eventgallery.wsgi", "-b", address]
    if config and (PROJECT_ROOT / "gunicorn.conf.py").exists():
        return [*command, "-c", str(PROJECT_ROOT / "gunicorn.conf.py")]
    command += ["-w", str(workers)]
    return [*command, "--threads", str(threads)] if threads else command


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    command: Sequence[str] | None = None,
    cwd: Path = PROJECT_ROOT,
    log: Path | None = None,
    ready_path: str = "/healthz",
    # Generous: the master loads the face models before it forks, slow on a busy machine.
    timeout_s: float = 120,
) -> Iterator[Server]:
    """gunicorn on a free loopback port, up (its `ready_path` answers) before the block runs
    and stopped after it, whatever happens. `command` is gunicorn_command()'s for the address
    `{address}` stands for; the default is the project's gunicorn.conf.py. With `log`, its
    output goes there and its last lines are printed if the block fails."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    argv = [part.replace("{address}", address) for part in (command or gunicorn_command("{address}"))]
    output = log.open("w") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
    finally:
        if log:
            output.close()
    server = Server(process, "127.0.0.1", port)
    try:
        wait_until_up(server.url + ready_path, process, timeout_s)
        yield server
    except BaseException:
        if log and log.exists():
            print(f"--- gunicorn log\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stopwatch:
    """Wall and CPU time (this process) of a `with` block, in seconds."""

    wall_s: float = 0.0
    cpu_s: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = time.process_time() - self._cpu

    @property
    def ms(self) -> float:
        return self.wall_s * 1000


def timed(function, *args, **kwargs) -> tuple[object, float]:
    """What `function` returns and the wall seconds it took."""
    with Stopwatch() as watch:
        result = function(*args, **kwargs)
    return result, watch.wall_s


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, align: str | None = None) -> str:
    """A plain text table: a column each header, as wide as its widest cell; `align` gives
    each column '<' or '>' (default: the first left, the others right)."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[n]) for row in rows)]) for n, header in enumerate(headers)]
    align = align or "<" + ">" * (len(headers) - 1)
    lines = ["  ".join(f"{cell:{align[n]}{widths[n]}}" for n, cell in enumerate(line)) for line in [headers, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def processes() -> dict[int, list[str]]:
    """Every process's /proc/<pid>/stat fields after its command's name, by pid (empty
    where there is no /proc)."""
    table = {}
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if entry.name.isdigit():
                try:
                    table[int(entry.name)] = (entry / "stat").read_text().rpartition(")")[2].split()
                except OSError:  # exited meanwhile
                    continue
    return table


def descendants(root_pid: int) -> list[int]:
    """The pids of a process's children, their children, and so on."""
    children: dict[int, list[int]] = {}
    for pid, fields in processes().items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_cpu_s(root_pid: int) -> float:
    """CPU seconds used so far by a process and its descendants, live or reaped by their
    parents (utime, stime, cutime, cstime): a worker pool with its workers and helpers."""
    table = processes()
    ticks = sum(sum(int(n) for n in table[pid][11:15]) for pid in [root_pid, *descendants(root_pid)] if pid in table)
    return ticks / os.sysconf("SC_CLK_TCK")


def stop_tree(process: subprocess.Popen, timeout_s: float = 30) -> None:
    """TERM to `process` (a `run_worker` pool passes it on to its workers, which finish
    their task first), then, after `timeout_s`, KILL to it and to every process it had
    started: a killed pool leaves its workers running."""
    started = descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
