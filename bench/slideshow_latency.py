"""How long a photo takes from ready to on the slideshow's screen.

    .venv/bin/python bench/slideshow_latency.py                 # about 4 minutes
    .venv/bin/python bench/slideshow_latency.py --quick         # poll 1.5 s, interval 0.8 s: under a minute

The live slideshow (`/g/<slug>/slideshow/`, static/galleries/slideshow.js) asks the
server for photos that became ready every SLIDESHOW_POLL_S seconds (with an ETag: 304
when nothing changed), and shows each new one next, at the following advance of its
SLIDESHOW_INTERVAL_S timer. The named baseline is the theoretical bound of that design:
a photo that becomes ready just after a poll waits a whole poll, then a whole slide,
so at worst **poll + interval** (plus loading and decoding its display image), and
about half of each on average when photos arrive one at a time.

For each configuration (poll:interval), the script starts the real server (gunicorn,
one worker, on a temporary SQLite database, media folder and collected static files,
with the two settings from the environment), in a public gallery of 5 ready photos.
Headless Chromium (/usr/bin/chromium, through Playwright) opens the slideshow at
1280x720; a MutationObserver on the two slides records (Date.now()) each time a slide
gets the `is-shown` class, that is when the crossfade to its decoded image starts. Then
`--photos` photos, uploaded beforehand (pending, as `photo_create` leaves them), are
processed one by one at random moments over `--span` seconds by `photo_process` (the
worker's job, which sets status ready and processed_at), from this process, in a thread;
the moment its transaction has committed is the photo's "ready" time. Latency = first
time the photo's display image is shown - ready time. Both clocks are this machine's.

Prints median / p90 / max per configuration beside the bound. Exits 1 if any photo never
reached the screen within twice the bound after the last arrival.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import common
from phone_bytes import CHROMIUM, CHROMIUM_ARGS

PROJECT_ROOT = common.PROJECT_ROOT

SLUG = "slideshow-latency"
# Each slide that becomes the one shown: its src and the page's clock.
WATCH_SLIDES = """() => {
  window.shownAt = [];
  for (const slide of document.querySelectorAll("#slideshow .slide")) {
    let was = slide.classList.contains("is-shown");
    new MutationObserver(() => {
      const is = slide.classList.contains("is-shown");
      if (is && !was) window.shownAt.push([slide.getAttribute("src"), Date.now() / 1000]);
      was = is;
    }).observe(slide, { attributes: true, attributeFilter: ["class"] });
  }
}"""
KEY_IN_SRC = re.compile(r"/photos/([0-9a-f-]+)/display")


def photo_jpeg(seed: int) -> bytes:
    """A 2400x1600 photo-like JPEG (gradients and noise), different for each seed."""
    from PIL import Image, ImageChops

    rng = random.Random(seed)
    red = Image.linear_gradient("L").rotate(rng.randrange(360)).resize((2400, 1600))
    green = Image.radial_gradient("L").resize((2400, 1600))
    im = Image.merge("RGB", (red, green, red.transpose(Image.Transpose.ROTATE_180)))
    noise = Image.effect_noise((2400, 1600), 20 + seed % 7).convert("RGB")
    im = ImageChops.add(im, noise, scale=1.0, offset=-100)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def django_setup(env: dict[str, str]) -> None:
    # Playwright's sync API keeps an event loop in the main thread; the ORM runs in another.
    common.django_setup({**env, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"})


def make_gallery(shown: int, pending: int, seed: int):
    """A fresh gallery with `shown` ready photos and `pending` uploaded ones (not processed)."""
    from django.core.files.base import ContentFile

    from galleries.models import Gallery
    from galleries.services.photos import photo_create
    from galleries.services.processing import photo_process

    Gallery.objects.filter(slug=SLUG).delete()
    gallery = Gallery.objects.create(name="Latency", slug=SLUG, is_published=True)
    for n in range(shown):
        name = f"IMG_{seed}_{n:03d}.jpg"
        photo = photo_create(gallery=gallery, upload=ContentFile(photo_jpeg(seed * 100 + n), name=name), filename=name)
        photo_process(photo_id=photo.pk)
    waiting = []
    for n in range(shown, shown + pending):
        name = f"IMG_{seed}_{n:03d}.jpg"
        waiting.append(
            photo_create(gallery=gallery, upload=ContentFile(photo_jpeg(seed * 100 + n), name=name), filename=name)
        )
    return waiting


def measure(browser, base: str, *, poll: float, interval: float, photos: int, span: float, seed: int):
    from django.db import connection

    from galleries.services.processing import photo_process

    waiting = make_gallery(shown=5, pending=photos, seed=seed)
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0, span) for _ in range(photos))
    ready: dict[str, float] = {}

    def arrive(start: float) -> None:
        try:
            for photo, moment in zip(waiting, moments, strict=True):
                time.sleep(max(0.0, start + moment - time.time()))
                photo_process(photo_id=photo.pk)
                ready[str(photo.key)] = time.time()  # committed: the server sees it
        finally:
            connection.close()

    page = browser.new_page(viewport={"width": 1280, "height": 720})
    received: dict[str, float] = {}  # when a poll's answer first named the photo

    def on_response(response) -> None:
        if "/slideshow/photos" in response.url and response.status == 200:
            at = time.time()
            for photo in json.loads(response.text())["photos"]:
                received.setdefault(photo["key"], at)

    page.on("response", on_response)
    page.goto(f"{base}/g/{SLUG}/slideshow/")
    page.wait_for_function("() => document.querySelector('#slideshow .slide.is-shown')")
    page.evaluate(WATCH_SLIDES)
    # A moment into the page's own rhythm, as a projector that has been running a while.
    page.wait_for_timeout(rng.uniform(0, poll) * 1000)
    worker = threading.Thread(target=arrive, args=(time.time(),))
    worker.start()
    bound = poll + interval
    deadline = time.time() + span + 2 * bound + 5
    shown_at: dict[str, float] = {}
    while time.time() < deadline:
        page.wait_for_timeout(250)
        for src, at in page.evaluate("window.shownAt"):
            match = KEY_IN_SRC.search(src or "")
            key = match and match.group(1)
            if key in ready and key not in shown_at and at >= ready[key] - 1:
                shown_at[key] = at
        if not worker.is_alive() and len(shown_at) == photos:
            break
    worker.join()
    page.close()
    return [_times(ready, received, shown_at, str(photo.key)) for photo in waiting]


def _times(ready: dict, received: dict, shown_at: dict, key: str) -> tuple[float, float, float] | None:
    """(ready, first poll answer naming it, shown) of a photo; None if never shown."""
    if key not in shown_at or key not in ready:
        return None
    return ready[key], received.get(key, shown_at[key]), shown_at[key]


def breakdown(found: list) -> list[tuple[float, float, float, int] | None]:
    """Each photo's (latency, wait for a poll, wait for the screen, new photos shown
    before it while it waited on the page): the page shows new photos one a slide, in
    the order they came, so bunched arrivals queue; the bound is for one alone."""
    rows = []
    for times in found:
        if times is None:
            rows.append(None)
            continue
        ready, polled, shown = times
        queued = sum(1 for other in found if other is not None and polled <= other[2] < shown)
        rows.append((shown - ready, polled - ready, shown - polled, queued))
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="15:8,3:8", help="poll:interval seconds, comma-separated")
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument(
        "--span", type=float, help="seconds over which the photos arrive (default 4 x interval per 3 photos)"
    )
    parser.add_argument("--quick", action="store_true", help="--configs 1.5:0.8 --span 8")
    args = parser.parse_args()
    if args.quick:
        args.configs, args.span = "1.5:0.8", 8.0
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")

    root = Path(tempfile.mkdtemp(prefix="eventgallery-slideshow-latency-"))
    env = common.project_env(root, FACE_SEARCH_ENABLED="false")  # plain HTTP on loopback
    common.migrate(env, collectstatic=True)
    django_setup(env)

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for number, config in enumerate(args.configs.split(",")):
                poll, interval = (float(part) for part in config.split(":"))
                span = args.span or 4 * interval * args.photos / 3
                server_env = {**env, "SLIDESHOW_POLL_S": str(poll), "SLIDESHOW_INTERVAL_S": str(interval)}
                command = common.gunicorn_command("{address}", config=False, workers=1, threads=4)
                log = root / f"server-{number}.log"
                with common.gunicorn(server_env, command=command, log=log, ready_path="/") as server:
                    started = time.monotonic()
                    found = measure(
                        browser,
                        server.url,
                        poll=poll,
                        interval=interval,
                        photos=args.photos,
                        span=span,
                        seed=number + 1,
                    )
                rows.append((poll, interval, span, breakdown(found), time.monotonic() - started))
        finally:
            browser.close()

    print(f"\n{args.photos} photos ready at random moments over the span, 5 already shown; latency = shown - ready")
    print("poll wait = the first poll answer naming it - ready; screen wait = shown - that answer;")
    print("queued = photos waiting behind other new ones; alone = the latencies of the others\n")
    print(
        "| poll:interval s | span s | shown | latency median / p90 / max s | bound s | poll wait med / max s ", end=""
    )
    print("| screen wait med / max s | queued | alone: median / max s | run s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for poll, interval, span, found, took in rows:
        shown = [times for times in found if times is not None]
        failed = failed or len(shown) < len(found) or not shown
        if not shown:
            print(
                f"| {poll:g}:{interval:g} | {span:.0f} | 0/{len(found)} | - "
                f"| {poll + interval:g} | - | - | - | - | {took:.0f} |"
            )
            continue
        total, polled, screen = (sorted(times[n] for times in shown) for n in range(3))
        alone = sorted(times[0] for times in shown if times[3] == 0)
        queued = len(shown) - len(alone)
        alone_figures = f"{statistics.median(alone):.1f} / {alone[-1]:.1f}" if alone else "-"
        print(
            f"| {poll:g}:{interval:g} | {span:.0f} | {len(shown)}/{len(found)} "
            f"| {statistics.median(total):.1f} / {percentile(total, 0.9):.1f} / {total[-1]:.1f} "
            f"| {poll + interval:g} | {statistics.median(polled):.1f} / {polled[-1]:.1f} "
            f"| {statistics.median(screen):.1f} / {screen[-1]:.1f} | {queued} | {alone_figures} "
            f"| {took:.0f} |"
        )
    for poll, interval, _, found, _ in rows:
        each = ("-" if t is None else f"{t[0]:.1f} ({t[1]:.1f}+{t[2]:.1f}{'*' * t[3]})" for t in found)
        print(f"poll {poll:g}, interval {interval:g}, in order of arrival (* one queued ahead): " + " ".join(each))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
