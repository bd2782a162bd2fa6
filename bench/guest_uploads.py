"""Upload throughput of a guest's phone through /g/<slug>/upload/, against the
organizer's admin upload (the baseline), in the same run over real HTTP to gunicorn.

    .venv/bin/python bench/guest_uploads.py [--files 20] [--rounds 3] [--concurrency 2]

The script works in a temporary folder: its own SQLite database and media, and the
project's gunicorn.conf.py on loopback (WEB_CONCURRENCY=2: this machine has 2 cores).
It makes `--files` camera-like JPEGs of about 4 MB (4000x3000, q90, gradients and
noise), each with the EXIF a phone writes (a GPS position, owner, serial number,
maker note), so that both sides pay the stripping of personal metadata that ingest
now does (galleries/metadata.py).

A client sends them as the upload page's script does: one file per multipart request,
`--concurrency` at a time (2, as static/galleries/guest-upload.js; 1 is a plain
sequential client), each answered with JSON. The guest signs nothing in: it opens
the upload page for its CSRF token and device cookie, and sends its name with each
file. The organizer logs in to the admin and posts to the gallery's upload URL, as
static/galleries/admin-upload.js does. Each round uploads the files into a fresh
gallery on each side; the median round counts. The two sides take turns `--concurrency` files at a time, so that
the load of a shared machine weighs on both alike. No worker runs: both sides store the file and queue its
processing, which the worker does later in both cases.

The budget: the guest's path is at least 85 % of the organizer's throughput (it does
more: rate limit counters, a guest's fuller metadata strip). Exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import common
from zip_download import make_jpegs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUDGET = 0.85
PASSWORD = "benchmark-organizer-password"


class Session:
    """One HTTP client with its cookies (a phone's browser, or the organizer's)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, content

    def form_token(self, path: str) -> str:
        status, content = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def with_phone_exif(path: Path) -> bytes:
    """The JPEG with a phone's EXIF (APP1) right after its start of image."""
    from galleries.tests.images import private_exif_bytes

    data = path.read_bytes()
    exif = b"Exif\x00\x00" + private_exif_bytes()
    return data[:2] + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif + data[2:]


def upload_interleaved(sides: dict, files: list[tuple[str, bytes]], concurrency: int) -> dict[str, dict]:
    """Sends the files through each side, `concurrency` at a time, the sides taking turns
    batch by batch (who goes first alternating), so that the load of the machine weighs
    on both alike. Returns each side's throughput and median time a file."""
    seconds = dict.fromkeys(sides, 0.0)
    latencies: dict[str, list[float]] = {side: [] for side in sides}

    def one(side, item):
        name, content = item
        started = time.perf_counter()
        status, answer = sides[side](name, content)
        assert status in (200, 201), (side, name, status, answer[:300])
        assert json.loads(answer)["results"][0]["ok"], answer
        latencies[side].append(time.perf_counter() - started)

    order = list(sides)
    with ThreadPoolExecutor(concurrency) as pool:
        for batch_number, start in enumerate(range(0, len(files), concurrency)):
            batch = files[start : start + concurrency]
            for side in order if batch_number % 2 == 0 else reversed(order):
                started = time.perf_counter()
                list(pool.map(lambda item, side=side: one(side, item), batch))
                seconds[side] += time.perf_counter() - started
    total = sum(len(content) for _, content in files)
    return {
        side: {"mb_s": total / seconds[side] / 1e6, "median_file_s": statistics.median(latencies[side])}
        for side in sides
    }


def strip_and_hash_times(files: list[tuple[str, bytes]]) -> tuple[float, float]:
    """Median ms of a guest's metadata strip (find, copy, edit) and of hashing a file, in-process."""
    from django.core.files.base import ContentFile

    from galleries.metadata import strip_personal_metadata
    from galleries.services.photos import upload_hash_and_size

    strips, hashes = [], []
    for name, content in files:
        started = time.perf_counter()
        strip_personal_metadata(ContentFile(content, name=name), guest=True).read(1)
        strips.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        upload_hash_and_size(upload=ContentFile(content, name=name))
        hashes.append((time.perf_counter() - started) * 1000)
    return statistics.median(strips), statistics.median(hashes)


def limits_time() -> float:
    """Median ms of counting one file against the guest upload limits (three counters)."""
    from galleries.models import Gallery
    from galleries.services.guest_uploads import guest_upload_limits_hit

    gallery = Gallery.objects.create(name="Limits", slug="limits")
    times = []
    for number in range(20):
        started = time.perf_counter()
        guest_upload_limits_hit(gallery=gallery, device=f"cookie:{number}", address="192.0.2.1")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    # The limits are not what is measured.
    limits = {name: "100000" for name in ("PER_DEVICE", "PER_ADDRESS", "PER_GALLERY")}
    with common.project(
        "eventgallery-bench-guest-", WEB_CONCURRENCY="2", **{f"GUEST_UPLOADS_{k}": v for k, v in limits.items()}
    ) as (root, env):
        common.django_setup(env)
        from django.contrib.auth import get_user_model

        from galleries.models import Gallery

        common.migrate(collectstatic=True)
        get_user_model().objects.create_superuser("organizer", "o@example.com", PASSWORD)
        sources = root / "sources"
        sources.mkdir()
        files = [(f"IMG_{n:04d}.jpg", with_phone_exif(path)) for n, path in enumerate(make_jpegs(sources, args.files))]
        sizes = [len(content) / 1e6 for _, content in files]
        print(
            f"{len(files)} JPEGs of {min(sizes):.1f}-{max(sizes):.1f} MB (mean {statistics.mean(sizes):.1f} MB, "
            f"{sum(sizes):.0f} MB), each with a phone's EXIF; concurrency {args.concurrency}"
        )

        strip_ms, hash_ms = strip_and_hash_times(files)
        limits_ms = limits_time()
        print(
            f"in this process, medians: a file's metadata strip {strip_ms:.1f} ms, its SHA-256 {hash_ms:.1f} ms, "
            f"counting it against the three guest upload limits {limits_ms:.1f} ms"
        )

        with common.gunicorn(env) as gunicorn:
            port = gunicorn.port
            organizer = Session(port)
            token = organizer.form_token("/admin/login/")
            status, _ = organizer.request(
                "POST",
                "/admin/login/",
                urlencode({"csrfmiddlewaretoken": token, "username": "organizer", "password": PASSWORD}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert status == 302, status

            results = {"guest": [], "organizer": []}
            for number in range(args.rounds):
                guest_gallery = Gallery.objects.create(
                    name=f"Guests {number}",
                    slug=f"guests-{number}",
                    is_published=True,
                    guest_uploads=Gallery.GuestUploads.OPEN,
                )
                admin_gallery = Gallery.objects.create(name=f"Admin {number}", slug=f"admin-{number}")
                phone = Session(port)
                guest_token = phone.form_token(f"/g/{guest_gallery.slug}/upload/")
                admin_token = organizer.form_token(f"/admin/galleries/gallery/{admin_gallery.pk}/change/")

                def as_guest(name, content, phone=phone, token=guest_token, slug=guest_gallery.slug):
                    body, kind = multipart({"csrfmiddlewaretoken": token, "name": "Ann"}, name, content)
                    headers = {"Content-Type": kind, "Accept": "application/json"}
                    return phone.request("POST", f"/g/{slug}/upload/", body, headers)

                def as_organizer(name, content, token=admin_token, pk=admin_gallery.pk):
                    body, kind = multipart({}, name, content)
                    headers = {"Content-Type": kind, "Accept": "application/json", "X-CSRFToken": token}
                    return organizer.request("POST", f"/admin/galleries/gallery/{pk}/upload/", body, headers)

                measured = upload_interleaved({"guest": as_guest, "organizer": as_organizer}, files, args.concurrency)
                for side, figures in measured.items():
                    results[side].append(figures)
                guest, admin = results["guest"][-1], results["organizer"][-1]
                print(
                    f"round {number + 1}: guest {guest['mb_s']:.1f} MB/s ({guest['median_file_s'] * 1000:.0f} ms a "
                    f"file), organizer {admin['mb_s']:.1f} MB/s ({admin['median_file_s'] * 1000:.0f} ms a file)"
                )
                assert guest_gallery.photos.count() == admin_gallery.photos.count() == len(files)

    guest = statistics.median(r["mb_s"] for r in results["guest"])
    admin = statistics.median(r["mb_s"] for r in results["organizer"])
    guest_file = statistics.median(r["median_file_s"] for r in results["guest"])
    admin_file = statistics.median(r["median_file_s"] for r in results["organizer"])
    ratio = guest / admin
    verdict = "PASS" if ratio >= BUDGET else "FAIL"
    print(f"\nmedian: guest {guest:.1f} MB/s ({guest_file * 1000:.0f} ms a file), ", end="")
    print(f"organizer {admin:.1f} MB/s ({admin_file * 1000:.0f} ms a file)")
    print(f"ratio guest / organizer: {ratio:.2f} -> {verdict} (budget >= {BUDGET:.2f})")
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
