"""Worker scaling: photos per minute with 1 and then 2 `run_worker` processes.

    .venv/bin/python bench/worker_scaling.py [--shots 30] [--processes 1 2] [--rounds 1]
        [--postgres URL] [--images DIR]

The same --shots 24 MP group shots (bench/event_images.py, 6 or 12 faces each) go through
the whole worker pipeline, derivatives and face indexing (Find me on, the local dlib
engine), once for each process count: each time a fresh PostgreSQL database and media
folder, `manage.py import_photos` of the shots (timed apart: it only stores them and
queues their tasks), then `manage.py run_worker --processes N`, the production pool
(WORKER_NICE applies), timed from its start until every shot is ready and indexed (or
failed). Meanwhile the script polls the database once a second and adds up the CPU time
of the pool's process tree (workers and their face-engine helpers, from /proc).

Per count it prints photos per minute (to all indexed, and to all ready), the cores the
workers kept busy on average (CPU seconds / wall seconds) and their CPU seconds per
photo, with the load average: the ratio of the rates is the scaling (expected about
1.8x on 2 cores). The CPU figures tell the causes apart: fewer cores used than
processes means the machine did not give them (other load, the nice level against
other processes); more CPU per photo with 2 means they slow each other down (memory
bandwidth, caches, a lock); the same CPU per photo and the cores used, with a
lower ratio, means waiting (the database's claims, the storage). With --rounds 2 the
order alternates (1 2, 2 1) so a change of the machine's load falls on both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import common
from event_day import database
from event_images import CAMERA, ensure_pictures

PROJECT_ROOT = common.PROJECT_ROOT
SLUG = "scaling"
SEED = f"""
from galleries.models import Gallery
gallery = Gallery.objects.create(name="Scaling", slug="{SLUG}", is_published=True, face_search_enabled=True)
print(gallery.pk)
"""


@dataclass
class Result:
    processes: int
    shots: int
    import_s: float
    ready_s: float
    indexed_s: float
    failed: int
    faces: int
    cpu_s: float
    load_before: float
    load_after: float

    @property
    def per_minute(self) -> float:
        return self.shots * 60 / self.indexed_s

    @property
    def ready_per_minute(self) -> float:
        return self.shots * 60 / self.ready_s

    @property
    def cores(self) -> float:
        return self.cpu_s / self.indexed_s


def progress(connection, gallery_id: int) -> tuple[int, int, int, int]:
    """Shots ready, failed, indexed (or failed to index), and faces found so far."""
    row = connection.execute(
        """
        SELECT
          (SELECT count(*) FROM galleries_photo WHERE gallery_id = %(g)s AND status = 'ready'),
          (SELECT count(*) FROM galleries_photo WHERE gallery_id = %(g)s AND status = 'failed'),
          (SELECT count(*) FROM faces_photofaces WHERE gallery_id = %(g)s AND status IN ('indexed', 'failed')),
          (SELECT count(*) FROM faces_face f JOIN galleries_photo p ON p.id = f.photo_id WHERE p.gallery_id = %(g)s)
        """,
        {"g": gallery_id},
    ).fetchone()
    return tuple(row)


def run_once(args, shots: list[Path], processes: int) -> Result:
    import psycopg

    with common.project(prefix="eventgallery-scaling-") as (root, env):
        database_url, drop_database = database(args, root)
        env = {
            **env,
            "DATABASE_URL": database_url,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_FORMAT": "text",
        }
        try:
            common.migrate(env)
            gallery_id = int(common.manage(env, "shell", "-c", SEED).split()[-1])
            card = root / "card"
            card.mkdir()
            for path in shots:
                try:
                    os.link(path, card / path.name)
                except OSError:
                    shutil.copyfile(path, card / path.name)
            started = time.monotonic()
            common.manage(env, "import_photos", SLUG, str(card))
            import_s = time.monotonic() - started

            load_before = os.getloadavg()[0]
            with (root / "workers.log").open("wb") as log:
                pool = subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker", "--processes", str(processes)],
                    cwd=PROJECT_ROOT,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started = time.monotonic()
            ready_s = indexed_s = None
            cpu_s = 0.0
            try:
                with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
                    while indexed_s is None:
                        time.sleep(1)
                        cpu_s = max(cpu_s, common.tree_cpu_s(pool.pid))
                        ready, failed, indexed, faces = progress(connection, gallery_id)
                        now = time.monotonic() - started
                        if ready_s is None and ready + failed >= len(shots):
                            ready_s = now
                        if ready_s is not None and indexed + failed >= len(shots):
                            indexed_s = now
                        if pool.poll() is not None:
                            sys.exit(f"run_worker exited:\n{(root / 'workers.log').read_text()[-3000:]}")
                        if now > args.timeout:
                            sys.exit(f"not done after {args.timeout:.0f} s: {ready} ready, {indexed} indexed")
            finally:
                common.stop_tree(pool)
            return Result(
                processes=processes,
                shots=len(shots),
                import_s=import_s,
                ready_s=ready_s,
                indexed_s=indexed_s,
                failed=failed,
                faces=faces,
                cpu_s=cpu_s,
                load_before=load_before,
                load_after=os.getloadavg()[0],
            )
        finally:
            drop_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=int, default=30, help="24 MP group shots each way (default 30)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="worker processes (default 1 2)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each count, order alternating (default 1)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the databases")
    parser.add_argument(
        "--images", type=Path, default=Path(tempfile.gettempdir()) / "eventgallery-event-day", help="pictures cache"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a run is given up")
    args = parser.parse_args()
    args.sqlite = False  # the queue's claims as in production

    shots = ensure_pictures(args.images / "camera", count=args.shots, prefix="DSC", size=CAMERA, seed=1)
    cpus = len(os.sched_getaffinity(0))
    print(f"{len(shots)} shots of 24 MP ({sum(p.stat().st_size for p in shots) / 1e6:.0f} MB), {cpus} CPUs")
    results: list[Result] = []
    for round_number in range(args.rounds):
        order = args.processes if round_number % 2 == 0 else args.processes[::-1]
        for processes in order:
            result = run_once(args, shots, processes)
            print(
                f"{processes} process(es): {result.per_minute:.1f} photos/min indexed, "
                f"{result.ready_per_minute:.1f} ready; load {result.load_before:.1f} -> {result.load_after:.1f}",
                flush=True,
            )
            results.append(result)

    rows = [
        [
            r.processes,
            f"{r.import_s:.0f}",
            f"{r.ready_s:.0f}",
            f"{r.indexed_s:.0f}",
            f"{r.ready_per_minute:.1f}",
            f"{r.per_minute:.1f}",
            f"{r.cores:.2f}",
            f"{r.cpu_s / r.shots:.1f}",
            f"{r.faces}",
            f"{r.failed}",
            f"{r.load_before:.1f} -> {r.load_after:.1f}",
        ]
        for r in results
    ]
    headers = ["processes", "import s", "all ready s", "all indexed s", "ready/min", "photos/min"]
    headers += ["cores used", "CPU s/photo", "faces", "failed", "load avg"]
    print()
    print(common.table(headers, rows))
    by_count: dict[int, list[float]] = {}
    for r in results:
        by_count.setdefault(r.processes, []).append(r.per_minute)
    if len(by_count) >= 2:
        low, high = min(by_count), max(by_count)
        mean = {n: sum(v) / len(v) for n, v in by_count.items()}
        print(
            f"\nscaling {low} -> {high} processes: {mean[high] / mean[low]:.2f}x photos/min "
            f"({mean[low]:.1f} -> {mean[high]:.1f}; expected about {0.9 * high / low:.1f}x on {cpus} idle cores)"
        )


if __name__ == "__main__":
    main()
