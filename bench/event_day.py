"""Event day, end to end: the organizer imports the camera's group shots while guests
upload phone photos to the gallery and the venue's slideshow polls for new photos.

    .venv/bin/python bench/event_day.py [--photos 1000] [--guests 20] [--workers 2]

The whole product runs as in production on one box: gunicorn with gunicorn.conf.py
(WEB_CONCURRENCY=--web-workers) on loopback, `--workers` processes of `manage.py
run_worker`, a fresh PostgreSQL database (created on --postgres, dropped after; or
--sqlite) and a media folder in a temporary folder. It talks to the product only
through its management commands (migrate, collectstatic, import_photos, run_worker) and
HTTP routes; it reads the database to see when each photo became ready and indexed.

- The pictures (bench/event_images.py, from the project's own test faces): `--photos`
  24 MP group shots (about 6-10 MB each) and `--guest-photos` 12 MP phone photos a
  guest, made once into --images and reused.
- The gallery: public, Find me on, guest uploads open (shown as soon as processed).
- The organizer: `manage.py import_photos` of a folder of the group shots, started at
  t = 0 (the clock of every figure).
- The guests: `--guests` phones, each uploading one photo every `--guest-interval`
  seconds (the first after a random part of it) to /g/<slug>/upload/, as the upload page
  does, until it has sent its photos or every shot of the import is indexed. The guest
  upload limits are raised (they are not what is measured).
- The slideshow: polls /g/<slug>/slideshow/photos?after=<cursor> with its ETag every
  SLIDESHOW_POLL_S (the setting's value, as static/galleries/slideshow.js does); a
  photo is "on the slideshow" when a poll first lists it.

Figures (seconds from t = 0 unless said): first tile (the first shot ready), all
tiles, all indexed (Find me covers every shot); for the guests' photos, the wait from
the upload's answer to ready and to the slideshow (p50, p95, max). Targets (issue 20,
2 cores): guest photo ready p95 <= 30 s; all 1,000 tiles <= 6 min; all indexed <= 18
min (scaled to --photos for a smaller run, and then only indicative). Prints a table,
writes the figures as JSON (--json), exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import common  # noqa: E402
from common import free_port, manage, wait_until_up  # noqa: E402
from event_images import CAMERA, PHONE, ensure_pictures  # noqa: E402
from guest_uploads import Session, multipart  # noqa: E402

SLUG = "event-day"
FULL_RUN = 1000
TARGETS = {"guest_ready_p95_s": 30.0, "all_tiles_s": 360.0, "all_indexed_s": 1080.0}


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


class Guest(threading.Thread):
    """A phone that uploads its photos one at a time, every `interval` seconds."""

    def __init__(self, number: int, port: int, photos: list[Path], interval: float, stop: threading.Event):
        super().__init__(name=f"guest-{number}", daemon=True)
        self.number = number
        self.session = Session(port)
        self.photos = photos
        self.interval = interval
        self.stop = stop
        self.sent: list[dict] = []  # {filename, sent, answered, ok, status}

    def run(self) -> None:
        token = self.session.form_token(f"/g/{SLUG}/upload/")
        rng = random.Random(self.number)
        if self.stop.wait(rng.uniform(0, self.interval)):
            return
        for number, path in enumerate(self.photos):
            filename = f"guest{self.number:02d}-{number:03d}.jpg"
            body, kind = multipart(
                {"csrfmiddlewaretoken": token, "name": f"Guest {self.number}"}, filename, path.read_bytes()
            )
            sent = time.time()
            try:
                status, answer = self.session.request(
                    "POST", f"/g/{SLUG}/upload/", body, {"Content-Type": kind, "Accept": "application/json"}
                )
                ok = status in (200, 201) and json.loads(answer)["results"][0]["ok"]
            except (OSError, ValueError, KeyError) as exc:
                status, ok = repr(exc), False
            self.sent.append({"filename": filename, "sent": sent, "answered": time.time(), "ok": ok, "status": status})
            if self.stop.wait(self.interval):
                return


class EtagSession(Session):
    """A Session (without cookies: the gallery is public) that keeps the ETag of its last answer."""

    last_etag: str | None = None

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        self.last_etag = response.getheader("ETag") or self.last_etag
        connection.close()
        return response.status, content


class Slideshow(threading.Thread):
    """The venue's screen: asks for the photos made ready since its cursor, every poll."""

    def __init__(self, port: int, poll_s: float, stop: threading.Event):
        super().__init__(name="slideshow", daemon=True)
        self.session = EtagSession(port)
        self.poll_s = poll_s
        self.stop = stop
        self.first_seen: dict[str, float] = {}  # photo key -> time of the poll that listed it
        self.polls = 0
        self.errors = 0

    def run(self) -> None:
        cursor, etag = None, None
        while not self.stop.is_set():
            path = f"/g/{SLUG}/slideshow/photos" + (f"?after={cursor}" if cursor else "")
            try:
                status, content = self.session.request("GET", path, headers={"If-None-Match": etag} if etag else {})
            except OSError:
                status, content = 0, b""
            now = time.time()
            self.polls += 1
            if status == 200:
                answer = json.loads(content)
                for slide in answer["photos"]:
                    self.first_seen.setdefault(slide["key"], now)
                cursor = answer["cursor"]
                etag = self.session.last_etag
            elif status != 304:
                self.errors += 1
            self.stop.wait(self.poll_s)


def database(args, root: Path) -> tuple[str, callable]:
    """The URL of a fresh database for the run, and what drops it after."""
    if args.sqlite:
        return f"sqlite:///{root / 'db.sqlite3'}", lambda: None
    import psycopg

    name = f"eventday_{os.getpid()}"
    server = args.postgres.rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def progress(gallery_id: int) -> dict:
    """What the database says now: shots and guest photos ready, shots indexed."""
    from faces.models import PhotoFaces
    from galleries.models import Photo

    photos = Photo.objects.filter(gallery_id=gallery_id)
    return {
        "shots_ready": photos.filter(uploaded_by_guest=False, status=Photo.Status.READY).count(),
        "shots_failed": photos.filter(uploaded_by_guest=False, status=Photo.Status.FAILED).count(),
        "shots_indexed": PhotoFaces.objects.filter(
            photo__gallery_id=gallery_id, photo__uploaded_by_guest=False, status=PhotoFaces.Status.INDEXED
        ).count(),
        "guest_ready": photos.filter(uploaded_by_guest=True, status=Photo.Status.READY).count(),
    }


def _import_folder(card: Path, shots: list[Path]) -> Path:
    """The import's folder: exactly --photos shots (hard links where the file system allows)."""
    card.mkdir()
    for path in shots:
        try:
            os.link(path, card / path.name)
        except OSError:
            (card / path.name).write_bytes(path.read_bytes())
    return card


def _wait_for_a_worker(port: int, logs: Path) -> None:
    deadline = time.monotonic() + 120
    while Session(port).request("GET", "/readyz")[0] != 200:  # a worker's heartbeat is in
        if time.monotonic() > deadline:
            sys.exit("No worker became ready within 2 minutes: see the logs in " + str(logs))
        time.sleep(0.5)


def run(args, root: Path) -> dict:
    shots = ensure_pictures(args.images / "camera", count=args.photos, prefix="DSC", size=CAMERA, seed=1)
    phone_photos = ensure_pictures(
        args.images / "phone", count=args.guests * args.guest_photos, prefix="PXL", size=PHONE, seed=2, quality=85
    )
    card = _import_folder(root / "card", shots)

    database_url, drop_database = database(args, root)
    env = {
        **os.environ,
        **common.project_env(
            root,
            DATABASE_URL=database_url,
            LOG_FORMAT="text",
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            WORKER_PROCESSES="1",  # --workers counts processes: each run_worker is one
            WEB_CONCURRENCY=str(args.web_workers),
            GUEST_UPLOADS_PER_DEVICE="100000",
            GUEST_UPLOADS_PER_ADDRESS="100000",
            GUEST_UPLOADS_PER_GALLERY="100000",
        ),
    }
    processes: list[subprocess.Popen] = []
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "eventgallery.settings"
        sys.path.insert(0, str(PROJECT_ROOT))
        import django

        django.setup()
        from django.conf import settings

        from galleries.models import Gallery, Photo

        gallery = Gallery.objects.create(
            name="Event day",
            slug=SLUG,
            is_published=True,
            face_search_enabled=True,
            guest_uploads=Gallery.GuestUploads.OPEN,
        )

        logs = root / "logs"
        logs.mkdir()

        def start(name: str, command: list[str]) -> subprocess.Popen:
            with (logs / f"{name}.log").open("wb") as log:
                process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            processes.append(process)
            return process

        port = free_port()
        gunicorn = start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "eventgallery.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-c",
                "gunicorn.conf.py",
            ],
        )
        wait_until_up(f"http://127.0.0.1:{port}/healthz", gunicorn, timeout_s=120)
        for number in range(args.workers):
            start(f"worker-{number}", [sys.executable, "manage.py", "run_worker", "--worker-id", f"worker-{number}"])
        _wait_for_a_worker(port, logs)

        poll_s = args.poll or settings.SLIDESHOW_POLL_S
        stop_guests, stop_slideshow = threading.Event(), threading.Event()
        slideshow = Slideshow(port, poll_s, stop_slideshow)
        per_guest = [phone_photos[n * args.guest_photos : (n + 1) * args.guest_photos] for n in range(args.guests)]
        guests = [Guest(n, port, per_guest[n], args.guest_interval, stop_guests) for n in range(args.guests)]

        print(
            f"{args.photos} shots of 24 MP, {args.guests} guests with up to {args.guest_photos} phone photos each "
            f"(one every {args.guest_interval:.0f} s), {args.workers} workers, {args.web_workers} web workers, "
            f"slideshow poll {poll_s:.0f} s, {'SQLite' if args.sqlite else 'PostgreSQL'}",
            flush=True,
        )
        started = time.time()
        importing = start("import", [sys.executable, "manage.py", "import_photos", SLUG, str(card)])
        slideshow.start()
        for guest in guests:
            guest.start()

        last_print = 0.0
        import_seconds = None
        while True:
            now = time.time()
            state = progress(gallery.pk)
            if import_seconds is None and importing.poll() is not None:
                import_seconds = now - started
                if importing.returncode != 0:
                    print((logs / "import.log").read_text()[-3000:])
            # The guests go on while the shots are indexed: a guest's photo goes before the indexing.
            if state["shots_indexed"] + state["shots_failed"] >= args.photos:
                stop_guests.set()
            uploads_over = all(not guest.is_alive() for guest in guests)
            accepted = sum(1 for guest in guests for sent in guest.sent if sent["ok"])
            guest_keys = set(
                Photo.objects.filter(gallery=gallery, uploaded_by_guest=True, status=Photo.Status.READY).values_list(
                    "key", flat=True
                )
            )
            everything = (
                state["shots_indexed"] + state["shots_failed"] >= args.photos
                and uploads_over
                and state["guest_ready"] >= accepted
                and all(str(key) in slideshow.first_seen for key in guest_keys)
            )
            if now - last_print >= 15 or everything:
                last_print = now
                print(
                    f"{now - started:6.0f} s: shots ready {state['shots_ready']}/{args.photos}, indexed "
                    f"{state['shots_indexed']}, failed {state['shots_failed']}; guest photos sent {accepted}, "
                    f"ready {state['guest_ready']}",
                    flush=True,
                )
            if everything:
                break
            if now - started > args.timeout:
                print(f"Stopped after {args.timeout:.0f} s: not everything was done.")
                break
            time.sleep(1)
        stop_guests.set()
        stop_slideshow.set()
        return figures(args, gallery, started, guests, slideshow, import_seconds, poll_s)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database()


def figures(args, gallery, started, guests, slideshow, import_seconds, poll_s) -> dict:
    from faces.models import PhotoFaces
    from galleries.models import Photo

    shots = Photo.objects.filter(gallery=gallery, uploaded_by_guest=False)
    ready_at = sorted(p.processed_at.timestamp() - started for p in shots if p.status == Photo.Status.READY)
    indexed_at = sorted(
        pf.indexed_at.timestamp() - started
        for pf in PhotoFaces.objects.filter(photo__in=shots, status=PhotoFaces.Status.INDEXED)
    )
    complete = len(ready_at) == args.photos
    sent = {s["filename"]: s for guest in guests for s in guest.sent}
    to_ready, to_slideshow, upload_s = [], [], []
    for photo in Photo.objects.filter(gallery=gallery, uploaded_by_guest=True):
        upload = sent.get(photo.original_filename)
        if upload is None or photo.processed_at is None:
            continue
        upload_s.append(upload["answered"] - upload["sent"])
        to_ready.append(photo.processed_at.timestamp() - upload["answered"])
        if str(photo.key) in slideshow.first_seen:
            to_slideshow.append(slideshow.first_seen[str(photo.key)] - upload["answered"])
    scale = args.photos / FULL_RUN
    result = {
        "photos": args.photos,
        "guests": args.guests,
        "workers": args.workers,
        "web_workers": args.web_workers,
        "database": "sqlite" if args.sqlite else "postgresql",
        "slideshow_poll_s": poll_s,
        "import_command_s": import_seconds,
        "first_tile_s": ready_at[0] if ready_at else None,
        "all_tiles_s": ready_at[-1] if complete else None,
        "all_indexed_s": indexed_at[-1] if len(indexed_at) == args.photos else None,
        "shots_ready": len(ready_at),
        "shots_indexed": len(indexed_at),
        "faces_found": sum(PhotoFaces.objects.filter(photo__in=shots).values_list("face_count", flat=True)),
        "guest_uploads_sent": len(sent),
        "guest_uploads_refused": sum(1 for s in sent.values() if not s["ok"]),
        "guest_upload_s": {"p50": percentile(upload_s, 0.5), "p95": percentile(upload_s, 0.95)},
        "guest_to_ready_s": {
            "p50": percentile(to_ready, 0.5),
            "p95": percentile(to_ready, 0.95),
            "max": max(to_ready, default=None),
            "n": len(to_ready),
        },
        "guest_to_slideshow_s": {
            "p50": percentile(to_slideshow, 0.5),
            "p95": percentile(to_slideshow, 0.95),
            "max": max(to_slideshow, default=None),
            "n": len(to_slideshow),
        },
        "slideshow_polls": slideshow.polls,
        "slideshow_errors": slideshow.errors,
        "targets": {
            "guest_ready_p95_s": TARGETS["guest_ready_p95_s"],
            "all_tiles_s": TARGETS["all_tiles_s"] * scale,
            "all_indexed_s": TARGETS["all_indexed_s"] * scale,
        },
    }
    if ready_at and ready_at[-1] > 0:
        result["shots_ready_per_minute"] = len(ready_at) / (ready_at[-1] / 60)
    return result


def report(result: dict) -> bool:
    def seconds(value):
        return "-" if value is None else f"{value:.1f} s"

    targets = result["targets"]
    rows = [
        ("first tile", result["first_tile_s"], None),
        ("all tiles", result["all_tiles_s"], targets["all_tiles_s"]),
        ("all indexed (Find me covers every shot)", result["all_indexed_s"], targets["all_indexed_s"]),
        ("guest photo: upload -> ready, p50", result["guest_to_ready_s"]["p50"], None),
        ("guest photo: upload -> ready, p95", result["guest_to_ready_s"]["p95"], targets["guest_ready_p95_s"]),
        ("guest photo: upload -> slideshow, p50", result["guest_to_slideshow_s"]["p50"], None),
        ("guest photo: upload -> slideshow, p95", result["guest_to_slideshow_s"]["p95"], None),
    ]
    passed = True
    print(f"\n| {'figure':<42} | {'measured':>10} | {'target':>10} | verdict |")
    print(f"|{'-' * 44}|{'-' * 12}|{'-' * 12}|---------|")
    for label, value, target in rows:
        verdict = ""
        if target is not None:
            ok = value is not None and value <= target
            passed &= ok
            verdict = "PASS" if ok else "FAIL"
        print(f"| {label:<42} | {seconds(value):>10} | {seconds(target) if target else '':>10} | {verdict:<7} |")
    print(
        f"\nshots ready {result['shots_ready']}/{result['photos']}, indexed {result['shots_indexed']}, faces found "
        f"{result['faces_found']}; import command {seconds(result['import_command_s'])}; guest uploads "
        f"{result['guest_uploads_sent']} ({result['guest_uploads_refused']} refused), upload p50 "
        f"{seconds(result['guest_upload_s']['p50'])}, p95 {seconds(result['guest_upload_s']['p95'])}; "
        f"slideshow polls {result['slideshow_polls']} ({result['slideshow_errors']} errors)"
    )
    if result["photos"] != FULL_RUN:
        print(f"(targets scaled to {result['photos']} shots: indicative only; the targets are for {FULL_RUN})")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=FULL_RUN, help="24 MP group shots imported (default 1000)")
    parser.add_argument("--guests", type=int, default=20)
    parser.add_argument("--guest-photos", type=int, default=12, help="the most each guest uploads (default 12)")
    parser.add_argument("--guest-interval", type=float, default=30, help="seconds between a guest's uploads")
    parser.add_argument("--workers", type=int, default=2, help="run_worker processes (default 2: the cores)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--poll", type=float, default=0, help="slideshow poll seconds (default SLIDESHOW_POLL_S)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server for the database")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--images", type=Path, default=Path(tempfile.gettempdir()) / "eventgallery-event-day", help="pictures cache"
    )
    parser.add_argument("--json", type=Path, default=Path("event_day.json"), help="where the figures go")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds before giving up")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="eventgallery-event-day-") as directory:
        result = run(args, Path(directory))
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    passed = report(result)
    print(f"figures written to {args.json}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
