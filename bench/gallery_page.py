"""Requests per second of a 60-thumbnail gallery page against a static file, under gunicorn.

    .venv/bin/python bench/gallery_page.py [--rounds 3] [--duration 5] [--threads 2] [--connections 8]

The requirement: on loopback, page 1 of a public gallery of 2,000 ready photos
(60 tiles) is served at no less than 40% of the requests per second at which the
same gunicorn delivers a small static file through whitenoise, measured in one run
with a load tool (wrk). Page 30 is measured too: its cost must not grow with the
offset. The three URLs take turns for several rounds, each round starting with
another one, and each one's median round counts: a burst of other work on the
machine hits all of them alike. Beside the rates, the CPU time gunicorn spends per
request (from /proc) shows the same comparison with less noise.

Everything lives in a temporary directory (database, media, collected static
files), and gunicorn is stopped at the end whatever happens. Exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import common

PROJECT_ROOT = common.PROJECT_ROOT
BUDGET = 0.40
PHOTO_COUNT = 2000
PER_PAGE = 60
SLUG = "bench-gallery"
STATIC_FILE = "galleries/site.css"

# Rows only, like galleries.tests.factories.bulk_ready_photos: the HTML page needs no files.
SEED = f"""
from galleries.models import Gallery
from galleries.tests.factories import bulk_ready_photos

gallery = Gallery.objects.create(
    name="Benchmark gallery", slug="{SLUG}", is_published=True, visibility=Gallery.Visibility.PUBLIC
)
bulk_ready_photos(gallery, {PHOTO_COUNT})
print(gallery.photos.ready().count())
"""


@dataclass
class Run:
    """One wrk run against one URL."""

    requests_per_s: float
    latency_avg: str
    latency_p99: str
    requests: int
    errors: int
    server_cpu_ms: float | None = None  # gunicorn's CPU time per request, master and workers


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
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # exited meanwhile
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == master_pid:
            ticks += sum(int(n) for n in fields[11:15])  # utime stime cutime cstime
        elif parent == master_pid:
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


def wrk(url: str, *, threads: int, connections: int, duration_s: int) -> Run:
    # A long timeout: a slow page must show as slow, not as errors left out of the rate.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration_s + 30).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk got error responses from {url}:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Run(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        latency_avg=re.search(r"^\s+Latency\s+(\S+)", output, re.MULTILINE).group(1),
        latency_p99=re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.requests_per_s)[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="turns of the three URLs (default 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per URL and round (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per URL first (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers without gunicorn.conf.py (default 2)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    # wrk speaks plain HTTP to gunicorn, as a TLS-terminating proxy would (common.project_env).
    with common.project(PHOTOS_PER_PAGE=str(PER_PAGE)) as (root, env):
        env = {**os.environ, **env}
        started = time.monotonic()
        common.migrate(env, collectstatic=True)
        ready = common.manage(env, "shell", "-c", SEED).split()[-1]
        manifest = json.loads((root / "static" / "staticfiles.json").read_text())
        static_path = "/static/" + manifest["paths"][STATIC_FILE]
        static_file = root / "static" / manifest["paths"][STATIC_FILE]
        print(f"set up in {time.monotonic() - started:.1f} s: a gallery of {ready} ready photos")

        command, how = gunicorn_command(args.workers, env)
        log_path = root / "gunicorn.log"
        with common.gunicorn(env, command=command, log=log_path, ready_path=static_path) as gunicorn:
            server, base = gunicorn.process, gunicorn.url
            check_pages(base, static_path, static_file)
            targets = {
                "static file (whitenoise)": static_path,
                "gallery page 1": f"/g/{SLUG}/",
                "gallery page 30": f"/g/{SLUG}/?page=30",
            }
            load = {"threads": args.threads, "connections": args.connections}
            if args.warmup:  # every worker loads its code, templates, caches and connections first
                for path in targets.values():
                    wrk(base + path, duration_s=args.warmup, **load)
            runs: dict[str, list[Run]] = {name: [] for name in targets}
            for round_number in range(args.rounds):
                # Each round starts with another URL: what one load leaves behind (workers that
                # gunicorn recycles after max_requests import the app again) falls on each in turn.
                order = list(targets)[round_number % 3 :] + list(targets)[: round_number % 3]
                for name in order:
                    path = targets[name]
                    wait_until_idle(server.pid)
                    cpu_before = server_cpu_s(server.pid)
                    run = wrk(base + path, duration_s=args.duration, **load)
                    cpu_after = server_cpu_s(server.pid)
                    if cpu_before is not None and cpu_after is not None and run.requests:
                        run.server_cpu_ms = (cpu_after - cpu_before) * 1000 / run.requests
                    runs[name].append(run)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"\ngunicorn {how}; wrk -t{args.threads} -c{args.connections} --timeout 10s, "
        f"{args.rounds} rounds of {args.duration} s per URL; {cpus} CPUs; median round per URL"
    )
    print(f"{'target':<26} {'req/s':>8} {'avg':>9} {'p99':>9} {'requests':>9} {'errors':>7} {'cpu/req':>9}  rounds")
    medians = {name: median_run(name_runs) for name, name_runs in runs.items()}
    cpu_per_request = {}
    for name, run in medians.items():
        name_runs = runs[name]
        cpu = [r.server_cpu_ms for r in name_runs if r.server_cpu_ms is not None]
        cpu_per_request[name] = sorted(cpu)[len(cpu) // 2] if cpu else None
        cpu_text = f"{cpu_per_request[name]:.2f}ms" if cpu else "-"
        print(
            f"{name:<26} {run.requests_per_s:>8.1f} {run.latency_avg:>9} {run.latency_p99:>9}"
            f" {sum(r.requests for r in name_runs):>9} {sum(r.errors for r in name_runs):>7} {cpu_text:>9}"
            f"  {' '.join(f'{r.requests_per_s:.0f}' for r in name_runs)} req/s"
        )
    static_rps = medians["static file (whitenoise)"].requests_per_s
    page_30 = medians["gallery page 30"].requests_per_s / static_rps
    ratio = medians["gallery page 1"].requests_per_s / static_rps
    verdict = "PASS" if ratio >= BUDGET else "FAIL"
    static_cpu, page_cpu = cpu_per_request["static file (whitenoise)"], cpu_per_request["gallery page 1"]
    if static_cpu and page_cpu:
        # Less sensitive to other work on the machine than the rates: what the ratio would be if CPU were all.
        print(f"\nserver CPU per request, static file / page 1: {static_cpu / page_cpu:.2f}")
    print(f"ratio page 30 / static file: {page_30:.3f}")
    print(f"ratio page 1 / static file:  {ratio:.3f} -> {verdict} (budget >= {BUDGET:.2f})")
    if ratio < BUDGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
