"""Requests per second and latency (p50/p95/p99) of a 60-thumbnail gallery page against a
static file, under gunicorn, with the task workers idle and then busy.

    .venv/bin/python bench/gallery_page.py [--rounds 3] [--duration 5] [--threads 2] [--connections 8]
        [--busy-shots 40] [--no-busy] [--sqlite | --postgres URL] [--cache-url redis://127.0.0.1:6379/5]

The requirement: on loopback, page 1 of a public gallery of 2,000 ready photos
(60 tiles) is served at no less than 40% of the requests per second at which the
same gunicorn delivers a small static file through whitenoise, measured in one run
with a load tool (wrk) asking as a phone's browser does (gzip, a language). Page 30
is measured too: its cost must not grow with the offset. The three URLs take turns
for several rounds, each round starting with another one, and each one's median
round counts: a burst of other work on the machine hits all of them alike. Beside
the rates, the CPU time gunicorn spends per request (from /proc) shows the same
comparison with less noise.

The tail: each URL's p50, p95 and p99 (wrk's, per round; the median round counts), the
load average beside them, and the workers gunicorn recycled (max_requests) meanwhile.
Target (issue 20): a gallery page's p99 within twice the static file's, measured in
the same run, with the task workers idle and with them busy: for the second pass
`manage.py run_worker` (the production pool: a process per core, niced) makes the
derivatives and indexes the faces of --busy-shots 24 MP group shots
(bench/event_images.py) imported into another gallery, and the script shows the
workers' CPU during each load.

The page cache is the default locmem one, a cache per gunicorn process, unless
--cache-url names a shared one (Redis, as docker-compose.yml runs it).

Everything lives in a temporary directory (a fresh PostgreSQL database or SQLite,
media, collected static files), and gunicorn and the workers are stopped at the end
whatever happens. Exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import common
from event_day import database
from event_images import CAMERA, ensure_pictures

PROJECT_ROOT = common.PROJECT_ROOT
BUDGET = 0.40
TAIL_BUDGET = 2.0  # a page's p99 at most this many times the static file's
BUSY_SLUG = "busy-gallery"
PHOTO_COUNT = 2000
PER_PAGE = 60
SLUG = "bench-gallery"
STATIC_FILE = "galleries/site.css"
# What every phone's browser sends: the static file and the page come gzipped (whitenoise's
# and the page cache's own), in the language the phone asks for.
BROWSER_HEADERS = ("Accept-Encoding: gzip, deflate, br", "Accept-Language: en-GB,en;q=0.9")

# Rows only, like galleries.tests.factories.bulk_ready_photos: the HTML page needs no files.
SEED = f"""
from galleries.models import Gallery
from galleries.tests.factories import bulk_ready_photos

gallery = Gallery.objects.create(
    name="Benchmark gallery", slug="{SLUG}", is_published=True, visibility=Gallery.Visibility.PUBLIC
)
bulk_ready_photos(gallery, {PHOTO_COUNT})
# As processed photos have: the bytes of their display images (the download menu's sizes).
gallery.photos.update(display_bytes=400_000)
print(gallery.photos.ready().count())
Gallery.objects.create(
    name="Busy gallery", slug="{BUSY_SLUG}", is_published=True, face_search_enabled=True,
)
"""
# wrk's percentiles, in microseconds: its --latency table has no p95.
PERCENTILES_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES %d %d %d %d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class Run:
    """One wrk run against one URL."""

    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    load_average: float = 0.0  # the 1-minute load average at the end of the run
    server_cpu_ms: float | None = None  # gunicorn's CPU time per request, master and workers
    workers_cpu: float | None = None  # the task workers' CPU during the run, in cores
    recycled: int = 0  # gunicorn workers restarted by max_requests during the run


def gunicorn_command(workers: int, env: dict[str, str]) -> tuple[list[str], str]:
    config = PROJECT_ROOT / "gunicorn.conf.py"
    command = common.gunicorn_command("{address}", workers=workers)
    if config.exists():
        # The production settings (workers, threads, recycling); only the address is ours.
        return command, f"{config.name} ({describe_config(config, env)})"
    return command, f"-w {workers} (no gunicorn.conf.py)"


def describe_config(config: Path, env: dict[str, str]) -> str:
    code = f"exec(open({str(config)!r}).read()); print(workers, globals().get('threads', 1))"
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    workers, _, threads = output.stdout.strip().partition(" ")
    return f"{workers} workers x {threads} threads" if output.returncode == 0 else "see the file"


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def check_pages(base: str, static_path: str, static_file: Path) -> None:
    """One plain request each before loading them: the right answers, or no benchmark."""
    status, headers, body = fetch(base + static_path)
    cache_control = headers.get("Cache-Control", "")
    # Whitenoise marks the files with a hash in their names as immutable; Django never would.
    if status != 200 or body != static_file.read_text() or "immutable" not in cache_control:
        raise RuntimeError(f"{static_path}: HTTP {status}, Cache-Control {cache_control!r}: not from whitenoise?")
    print(f"checked {static_path}: 200, {len(body.encode())} bytes, Cache-Control {cache_control}")
    for page in (1, 30):
        path = f"/g/{SLUG}/" + (f"?page={page}" if page > 1 else "")
        status, _, body = fetch(base + path)
        tiles = body.count('class="tile"')
        if status != 200 or tiles != PER_PAGE:
            raise RuntimeError(f"{path}: HTTP {status} with {tiles} tiles; expected 200 with {PER_PAGE}")
        print(f"checked {path}: 200, {tiles} tiles, {len(body.encode()) / 1024:.0f} KB")


def server_cpu_s(master_pid: int) -> float | None:
    """CPU seconds used so far by gunicorn: its live workers, plus the master and the
    recycled workers it has reaped (cutime/cstime). None where there is no /proc."""
    if not Path("/proc").is_dir():
        return None
    ticks = 0
    for pid, fields in common.processes().items():
        if pid == master_pid:
            ticks += sum(int(n) for n in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == master_pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_idle(master_pid: int, timeout_s: float = 10) -> None:
    """Until gunicorn has used under 5% of a CPU for half a second (workers it
    recycled have loaded the app again), so one URL's load does not spill into the next."""
    deadline = time.monotonic() + timeout_s
    before = server_cpu_s(master_pid)
    while before is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        after = server_cpu_s(master_pid)
        if after - before < 0.025:
            return
        before = after


def wrk(url: str, *, threads: int, connections: int, duration_s: int, script: Path) -> Run:
    # A long timeout: a slow page must show as slow, not as errors left out of the rate.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "-s", str(script)]
    for header in BROWSER_HEADERS:
        command += ["-H", header]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration_s + 30).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk got error responses from {url}:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    p50, p95, p99, longest = (int(n) / 1000 for n in re.search(r"PERCENTILES (\d+) (\d+) (\d+) (\d+)", output).groups())
    return Run(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=longest,
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        load_average=os.getloadavg()[0],
    )


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.requests_per_s)[len(runs) // 2]


def recycles(log_path: Path) -> int:
    """Workers gunicorn has restarted so far after their max_requests."""
    return log_path.read_text(errors="replace").count("Autorestarting worker")


ACCESS_LOG_FORMAT = '%(p)s %(D)s "%(U)s%(q)s"'  # <pid> microseconds "path?query"
ACCESS_LINE = re.compile(r'^<(\d+)> (\d+) "([^"]*)"$', re.MULTILINE)


def slow_requests(text: str, targets: dict[str, str], threshold_ms: float, first: int = 5) -> list[str]:
    """From gunicorn's access log of a pass: for each URL, the requests that took longer
    than `threshold_ms` in the server, and how many of them were among the `first`
    requests a worker process served for that URL (a worker forked anew, its caches empty)."""
    names = {path.rstrip("?"): name for name, path in targets.items()}
    seen: dict[tuple[str, str], int] = {}
    slow: dict[str, list[bool]] = {name: [] for name in targets}
    for pid, micros, path in ACCESS_LINE.findall(text):
        name = names.get(path.rstrip("?"))
        if name is None:
            continue
        seen[pid, name] = seen.get((pid, name), 0) + 1
        if int(micros) / 1000 > threshold_ms:
            slow[name].append(seen[pid, name] <= first)
    processes = len({pid for pid, _ in seen})
    lines = [f"{processes} worker processes served the pass; requests over {threshold_ms:.0f} ms in the server:"]
    for name, cold in slow.items():
        lines.append(f"  {name}: {len(cold)}, of which {sum(cold)} among a worker's first {first} for the URL")
    return lines


def print_slow_requests(load: Load, targets: dict[str, str], runs: dict[str, list[Run]]) -> None:
    """slow_requests() of the last pass's measured rounds, over twice the static file's p99."""
    threshold = 2 * median([r.p99_ms for r in runs["static file (whitenoise)"]])
    text = load.log_path.read_bytes()[load.measured_from :].decode(errors="replace")
    print("\n".join(slow_requests(text, targets, threshold)))


@dataclass
class Load:
    base: str
    server_pid: int
    log_path: Path
    script: Path
    threads: int
    connections: int
    measured_from: int = 0  # where the log of the last pass's measured rounds starts (after its warm-up)


def measure(load: Load, targets: dict[str, str], args, workers_pid: int | None = None) -> dict[str, list[Run]]:
    """The URLs in turns, each round starting with another one: what one load leaves
    behind (a recycled worker's empty cache) falls on each in turn."""
    options = {"threads": load.threads, "connections": load.connections, "script": load.script}
    if args.warmup:  # every worker loads its templates, caches and connections first
        for path in targets.values():
            wrk(load.base + path, duration_s=args.warmup, **options)
    load.measured_from = load.log_path.stat().st_size
    runs: dict[str, list[Run]] = {name: [] for name in targets}
    for round_number in range(args.rounds):
        order = list(targets)[round_number % 3 :] + list(targets)[: round_number % 3]
        for name in order:
            wait_until_idle(load.server_pid)
            cpu_before, recycled_before = server_cpu_s(load.server_pid), recycles(load.log_path)
            workers_before, started = (common.tree_cpu_s(workers_pid), time.monotonic()) if workers_pid else (0, 0)
            run = wrk(load.base + targets[name], duration_s=args.duration, **options)
            cpu_after = server_cpu_s(load.server_pid)
            if cpu_before is not None and cpu_after is not None and run.requests:
                run.server_cpu_ms = (cpu_after - cpu_before) * 1000 / run.requests
            if workers_pid:
                run.workers_cpu = (common.tree_cpu_s(workers_pid) - workers_before) / (time.monotonic() - started)
            run.recycled = recycles(load.log_path) - recycled_before
            runs[name].append(run)
    return runs


def report(title: str, runs: dict[str, list[Run]]) -> dict[str, float]:
    """Prints a pass's table; returns each URL's median-round p99."""
    print(f"\n{title}")
    rows, p99 = [], {}
    for name, name_runs in runs.items():
        rate = median_run(name_runs)
        cpu = [r.server_cpu_ms for r in name_runs if r.server_cpu_ms is not None]
        workers = [r.workers_cpu for r in name_runs if r.workers_cpu is not None]
        p99[name] = median([r.p99_ms for r in name_runs])
        rows.append(
            [
                name,
                f"{rate.requests_per_s:.0f}",
                f"{median([r.p50_ms for r in name_runs]):.1f}",
                f"{median([r.p95_ms for r in name_runs]):.1f}",
                f"{p99[name]:.1f}",
                " ".join(f"{r.p99_ms:.0f}" for r in name_runs),
                f"{max(r.max_ms for r in name_runs):.0f}",
                f"{median(cpu):.2f}" if cpu else "-",
                f"{median(workers):.2f}" if workers else "-",
                str(sum(r.recycled for r in name_runs)),
                " ".join(f"{r.load_average:.1f}" for r in name_runs),
                str(sum(r.errors for r in name_runs)),
            ]
        )
    headers = ["target", "req/s", "p50 ms", "p95 ms", "p99 ms", "p99 by round", "max ms", "cpu/req ms"]
    headers += ["workers' cores", "recycled", "load avg by round", "errors"]
    print(common.table(headers, rows))
    return p99


def shots_left(env: dict[str, str]) -> str:
    """How many of the busy gallery's shots are not yet ready and indexed (0: the queue ran dry)."""
    code = (
        "from faces.models import PhotoFaces; from galleries.models import Photo; "
        f"photos = Photo.objects.filter(gallery__slug='{BUSY_SLUG}'); "
        "indexed = PhotoFaces.objects.filter(photo__in=photos, status=PhotoFaces.Status.INDEXED).count(); "
        "print(photos.count(), photos.filter(status=Photo.Status.READY).count(), indexed)"
    )
    total, ready, indexed = common.manage(env, "shell", "-c", code).split()[-3:]
    return f"{total} shots imported, {ready} ready, {indexed} indexed"


@contextlib.contextmanager
def busy_workers(env: dict[str, str], root: Path, shots: list[Path]):
    """`manage.py run_worker` (a process per core, niced, as in production) working through
    `shots` imported into the busy gallery; stopped (and every process it started) after."""
    card = root / "card"
    card.mkdir()
    for path in shots:
        try:
            os.link(path, card / path.name)
        except OSError:
            shutil.copyfile(path, card / path.name)
    started = time.monotonic()
    common.manage(env, "import_photos", BUSY_SLUG, str(card))
    print(f"imported {len(shots)} shots of 24 MP in {time.monotonic() - started:.0f} s", flush=True)
    with (root / "workers.log").open("wb") as log:
        pool = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # Until the workers are at it: more than a core's half over a second.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and pool.poll() is None:
            before = common.tree_cpu_s(pool.pid)
            time.sleep(1)
            if common.tree_cpu_s(pool.pid) - before > 0.5:
                break
        yield pool
    finally:
        common.stop_tree(pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="turns of the three URLs (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per URL and round (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per URL first (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers without gunicorn.conf.py (default 2)")
    parser.add_argument("--busy-shots", type=int, default=48, help="24 MP shots for the busy workers (default 48)")
    parser.add_argument("--no-busy", action="store_true", help="measure with the task workers idle only")
    parser.add_argument(
        "--access-log", action="store_true", help="gunicorn's access log: which slow requests met a fresh worker"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the database")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--cache-url", default="", help="CACHE_URL, e.g. redis://127.0.0.1:6379/5 as in production (default: locmem)"
    )
    parser.add_argument(
        "--images", type=Path, default=Path(tempfile.gettempdir()) / "eventgallery-event-day", help="pictures cache"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    shots = (
        []
        if args.no_busy
        else ensure_pictures(args.images / "camera", count=args.busy_shots, prefix="DSC", size=CAMERA, seed=1)
    )

    # wrk speaks plain HTTP to gunicorn, as a TLS-terminating proxy would (common.project_env).
    cache = {"CACHE_URL": args.cache_url} if args.cache_url else {}
    with common.project(PHOTOS_PER_PAGE=str(PER_PAGE), **cache) as (root, env):
        database_url, drop_database = database(args, root)
        env = {**os.environ, **env, "DATABASE_URL": database_url, "TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}
        try:
            passes = run(args, root, env, shots)
        finally:
            drop_database()

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"\n{'SQLite' if args.sqlite else 'PostgreSQL'}, cache {args.cache_url or 'locmem'}; "
        f"wrk -t{args.threads} -c{args.connections} --timeout 10s, "
        f"{args.rounds} rounds of {args.duration} s per URL; {cpus} CPUs; median round per URL"
    )
    failed = False
    p99s = {title: report(title, runs) for title, runs in passes.items()}
    print()
    for title, p99 in p99s.items():
        static = p99["static file (whitenoise)"]
        for page in ("gallery page 1", "gallery page 30"):
            ratio = p99[page] / static
            verdict = "PASS" if ratio <= TAIL_BUDGET else "FAIL"
            failed |= ratio > TAIL_BUDGET
            label = f"{title.partition(' (')[0]}: p99 {page} / static file"
            figures = f"{p99[page]:.0f} / {static:.0f} ms = {ratio:.2f}"
            print(f"{label}: {figures} -> {verdict} (budget <= {TAIL_BUDGET:.0f})")
    runs = passes["workers idle"]
    medians = {name: median_run(name_runs) for name, name_runs in runs.items()}
    static_rps = medians["static file (whitenoise)"].requests_per_s
    ratio = medians["gallery page 1"].requests_per_s / static_rps
    verdict = "PASS" if ratio >= BUDGET else "FAIL"
    failed |= ratio < BUDGET
    print(f"workers idle: rate page 30 / static file: {medians['gallery page 30'].requests_per_s / static_rps:.3f}")
    print(f"workers idle: rate page 1 / static file:  {ratio:.3f} -> {verdict} (budget >= {BUDGET:.2f})")
    if failed:
        sys.exit(1)


def run(args, root: Path, env: dict[str, str], shots: list[Path]) -> dict:
    started = time.monotonic()
    common.migrate(env, collectstatic=True)
    ready = common.manage(env, "shell", "-c", SEED).split()[-1]
    manifest = json.loads((root / "static" / "staticfiles.json").read_text())
    static_path = "/static/" + manifest["paths"][STATIC_FILE]
    static_file = root / "static" / manifest["paths"][STATIC_FILE]
    print(f"set up in {time.monotonic() - started:.1f} s: a gallery of {ready} ready photos")
    script = root / "percentiles.lua"
    script.write_text(PERCENTILES_LUA)

    command, how = gunicorn_command(args.workers, env)
    log_path = root / "gunicorn.log"
    if args.access_log:
        env = {**env, "GUNICORN_ACCESS_LOG": "1"}
        command = [*command, "--access-logformat", ACCESS_LOG_FORMAT]
    passes = {}
    with common.gunicorn(env, command=command, log=log_path, ready_path=static_path) as gunicorn:
        print(f"gunicorn {how}")
        check_pages(gunicorn.url, static_path, static_file)
        targets = {
            "static file (whitenoise)": static_path,
            "gallery page 1": f"/g/{SLUG}/",
            "gallery page 30": f"/g/{SLUG}/?page=30",
        }
        load = Load(gunicorn.url, gunicorn.process.pid, log_path, script, args.threads, args.connections)
        print("measuring with the task workers idle ...", flush=True)
        runs = measure(load, targets, args)
        passes["workers idle"] = runs
        if args.access_log:
            print_slow_requests(load, targets, runs)
        if shots:
            print("measuring with the task workers busy ...", flush=True)
            with busy_workers(env, root, shots) as pool:
                runs = measure(load, targets, args, workers_pid=pool.pid)
                left = shots_left(env)
            passes[f"workers busy ({left} when the load ended)"] = runs
            if args.access_log:
                print_slow_requests(load, targets, runs)
    return passes


if __name__ == "__main__":
    main()
