"""Speed and memory of "Download all": a 2,000-photo ZIP streamed through the real view,
against reading the same files.

    .venv/bin/python bench/zip_download.py [--photos 2000] [--distinct 40] [--rounds 3]
                                           [--source disk|memory|both] [--http]

The requirement: the ZIP of a gallery of 2,000 camera JPEGs (2-5 MB each) on local
storage is sent at no less than 80 % of the speed at which the same files are read
from the same storage (the baseline, in the same run), in flat memory.

The script works in a temporary folder: its own SQLite database and media. It makes
`--distinct` JPEGs once (4000x3000, gradients and noise, quality 90: 2.4-5 MB) and
gives each of the 2,000 photos a copy of one of them as its original (7 GB; with
`--source memory` a hard link, which takes no room). Each round reads every original in
display order in 1 MB pieces (the baseline), then streams the ZIP through
`GET /g/<slug>/download/` from the project's WSGI application as gunicorn drives it
(call it, iterate the answer to its end, close it; no socket); the median round of each
counts. Both sides read the files

- from the disk (`disk`): each file is dropped from the page cache before each side, as
  a gallery of 7 GB is read by a server that serves more than one gallery. This is what
  the budget judges;
- from the page cache (`memory`): the files read at memory speed, so that what is
  measured is the code's own cost (the CRC-32 every ZIP entry needs, the streaming);
  reported for information.

The resident set of this process is noted when the response starts, half way and at the
end (and its largest value, sampled every 100 MB). With --http the ZIP is also fetched
from gunicorn on loopback (the project's gunicorn.conf.py) once, with the worker's
resident set sampled.

Exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import io
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import common

PROJECT_ROOT = common.PROJECT_ROOT
BUDGET = 0.80
SLUG = "bench-zip"
CHUNK = 1024 * 1024
RSS_SAMPLE_EVERY = 100 * 1024 * 1024


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_jpegs(folder: Path, count: int) -> list[Path]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(2026)
    width, height = 4000, 3000
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(np.int16)
    paths = []
    for number in range(count):
        noise = 6 + 8 * number / max(1, count - 1)  # more noise, bigger files: 2.4 to 5 MB
        pixels = np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)
        path = folder / f"camera-{number:03d}.jpg"
        Image.fromarray(pixels).save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def seed(media: Path, sources: list[Path], photos: int, *, copies: bool = False):
    """A public gallery of `photos` ready photos whose originals are hard links to the
    sources (with `copies`, a file of their own each)."""
    import uuid

    from django.utils import timezone

    from galleries.models import Gallery, Photo

    gallery = Gallery.objects.create(name="Benchmark", slug=SLUG, is_published=True)
    rows = []
    for number in range(photos):
        source = sources[number % len(sources)]
        key = uuid.uuid4()
        name = f"galleries/{gallery.pk}/{key}/original.jpg"
        (media / name).parent.mkdir(parents=True)
        if copies:
            shutil.copyfile(source, media / name)
        else:
            os.link(source, media / name)
        rows.append(
            Photo(
                gallery=gallery,
                key=key,
                original=name,
                original_filename=f"IMG_{number % 1000:04d}.jpg",  # duplicates, numbered in the archive
                content_hash=f"{number:064x}",
                file_size=source.stat().st_size,
                format="JPEG",
                width=4000,
                height=3000,
                sort_at=timezone.now() + timezone.timedelta(seconds=number),
                status=Photo.Status.READY,
            )
        )
    Photo.objects.bulk_create(rows, batch_size=500)
    return gallery


def evict(media: Path, names: list[str]) -> None:
    """The files out of the page cache: the next read of each comes from the disk.
    (Pages not yet written back stay: each file is synced first.)"""
    for name in names:
        fd = os.open(media / name, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_files(media: Path, names: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    total = 0
    for name in names:
        with open(media / name, "rb") as fh:
            while chunk := fh.read(CHUNK):
                total += len(chunk)
    return total, time.perf_counter() - started


def stream_zip(application) -> dict:
    """GET the ZIP from the WSGI application as a WSGI server does (gunicorn: call it,
    iterate the answer, close it), without a socket."""
    started = time.perf_counter()
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/g/{SLUG}/download/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    body = application(environ, start_response)
    assert answer["status"].startswith("200"), answer["status"]
    length = int(answer["headers"]["Content-Length"])
    rss = {"start": rss_mb()}
    peak = rss["start"]
    sent = next_sample = 0
    # The last two pieces, for the end record: cheaper than keeping a tail of each piece.
    previous = last = b""
    first_byte = None
    for chunk in body:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        sent += len(chunk)
        previous, last = last, chunk
        if sent >= next_sample:
            peak = max(peak, rss_mb())
            next_sample += RSS_SAMPLE_EVERY
        if "middle" not in rss and sent >= length // 2:
            rss["middle"] = rss_mb()
    body.close()
    elapsed = time.perf_counter() - started
    rss["end"] = rss_mb()
    tail = (previous + last)[-22:]
    assert sent == length, f"Content-Length {length}, sent {sent}"
    assert tail.startswith(b"PK\x05\x06"), "the archive does not end with its end-of-directory record"
    return {"bytes": sent, "seconds": elapsed, "first_byte": first_byte, "rss": rss, "peak": max(peak, rss["end"])}


def through_gunicorn(env: dict[str, str]) -> dict:
    with common.gunicorn(env) as gunicorn:
        server = gunicorn.process
        connection = http.client.HTTPConnection(gunicorn.host, gunicorn.port, timeout=60)
        connection.request("GET", f"/g/{SLUG}/download/")
        response = connection.getresponse()
        assert response.status == 200, response.status
        length = int(response.headers["Content-Length"])
        samples: list[float] = []
        done = threading.Event()

        def sample():
            while not done.wait(0.25):
                workers = [p for p in Path("/proc").iterdir() if p.name.isdigit()]
                sizes = []
                for proc in workers:
                    try:
                        if int((proc / "stat").read_text().rpartition(")")[2].split()[1]) == server.pid:
                            sizes.append(rss_mb(proc.name))
                    except (OSError, ValueError):
                        pass
                if sizes:
                    samples.append(max(sizes))

        sampler = threading.Thread(target=sample, daemon=True)
        started = time.perf_counter()
        sampler.start()
        sent = 0
        while chunk := response.read(CHUNK):
            sent += len(chunk)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        assert sent == length, f"Content-Length {length}, sent {sent}"
        return {"bytes": sent, "seconds": elapsed, "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--distinct", type=int, default=40, help="different JPEGs behind the photos (default 40)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also fetch the ZIP once from gunicorn")
    parser.add_argument(
        "--source",
        choices=("disk", "memory", "both"),
        default="both",
        help="where both sides read the files from: the disk (a copy of its own per photo, 7 GB, out of the page "
        "cache before each read and each ZIP: the budget's measure), the page cache (the code's own cost), or both "
        "(default)",
    )
    args = parser.parse_args()
    sources_to_run = ["memory", "disk"] if args.source == "both" else [args.source]

    with common.project("eventgallery-bench-zip-") as (root, env):
        media = root / "media"
        common.django_setup(env)
        from django.core.wsgi import get_wsgi_application

        started = time.monotonic()
        common.migrate()
        sources_folder = root / "sources"
        sources_folder.mkdir()
        sources = make_jpegs(sources_folder, args.distinct)
        gallery = seed(media, sources, args.photos, copies="disk" in sources_to_run)
        names = [photo.original.name for photo in gallery.photos.ready().in_display_order().only("original")]
        sizes = [source.stat().st_size / 1e6 for source in sources]
        print(
            f"set up in {time.monotonic() - started:.1f} s: {len(names)} photos, {len(sources)} distinct JPEGs of "
            f"{min(sizes):.1f}-{max(sizes):.1f} MB (mean {statistics.mean(sizes):.1f} MB)"
        )

        application = get_wsgi_application()
        # As gunicorn.conf.py does in each worker once the project is loaded.
        gc.collect()
        gc.freeze()
        results = {}
        for source in sources_to_run:
            print(f"from the {'disk' if source == 'disk' else 'page cache'}:")
            if source == "memory":
                read_files(media, names)  # the page cache, warm for both
            reads, zips = [], []
            for round_number in range(args.rounds):
                if source == "disk":
                    evict(media, names)
                total, seconds = read_files(media, names)
                reads.append(total / seconds / 1e6)
                if source == "disk":
                    evict(media, names)
                result = stream_zip(application)
                zips.append(result)
                rss = result["rss"]
                print(
                    f"  round {round_number + 1}: read {total / 1e9:.2f} GB at {reads[-1]:.0f} MB/s; "
                    f"ZIP {result['bytes'] / 1e9:.2f} GB at {result['bytes'] / result['seconds'] / 1e6:.0f} MB/s "
                    f"(first byte after {result['first_byte'] * 1000:.0f} ms), "
                    f"RSS start {rss['start']:.0f} MB, middle {rss['middle']:.0f} MB, end {rss['end']:.0f} MB, "
                    f"largest {result['peak']:.0f} MB"
                )
            results[source] = (reads, zips)

        if args.http:
            served = through_gunicorn({**os.environ, **env})
            samples = served["samples"] or [float("nan")]
            print(
                f"gunicorn: ZIP {served['bytes'] / 1e9:.2f} GB at {served['bytes'] / served['seconds'] / 1e6:.0f} MB/s "
                f"over loopback; worker RSS first {samples[0]:.0f} MB, middle {samples[len(samples) // 2]:.0f} MB, "
                f"last {samples[-1]:.0f} MB, largest {max(samples):.0f} MB ({len(samples)} samples)"
            )

    verdicts = []
    print()
    for source, (reads, zips) in results.items():
        read_speed = statistics.median(reads)
        zip_speed = statistics.median(z["bytes"] / z["seconds"] / 1e6 for z in zips)
        growth = max(z["rss"]["end"] - z["rss"]["start"] for z in zips)
        ratio = zip_speed / read_speed
        flat = growth < 50
        # The budget is of reading the files from their storage: the page cache's figure
        # is the code's own cost (the CRC-32 and the streaming), given for information.
        judged = source == "disk" or "disk" not in results
        verdict = ("PASS" if ratio >= BUDGET and flat else "FAIL") if judged else "for information"
        verdicts.append(verdict)
        where = "disk" if source == "disk" else "page cache"
        print(f"from the {where}: median read {read_speed:.0f} MB/s, ZIP {zip_speed:.0f} MB/s")
        print(f"  ratio ZIP / read: {ratio:.2f}; RSS growth over a ZIP at most {growth:+.0f} MB -> {verdict}")
    print(f"(budget, from the disk: ratio >= {BUDGET:.2f}, RSS growth < 50 MB)")
    if "FAIL" in verdicts:
        sys.exit(1)


if __name__ == "__main__":
    main()
