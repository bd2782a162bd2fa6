"""Bytes of images a phone downloads for the first screen of a 60-photo gallery, before and after.

    .venv/bin/python bench/phone_bytes.py [--photos 60] [--keep DIR]     # about 3 minutes

The target: on a 390 px wide phone at device pixel ratio 3, the images of a gallery's
first screen weigh **at most a third** of what the code on `main` (thumb 400w and
display 1600w in the tiles' srcset, nothing between) makes the same phone download.

One run measures both. The script makes 60 camera-sized photos (6000x4000, a fifth of
them portrait: gradients, shapes and noise at two scales, JPEG q90, like
bench/derivatives.py's photo with a camera's milder noise), uploads them into a public
gallery through `photo_create` and processes them with `photo_process` (the worker's
job), in a temporary folder (SQLite database, media, collected static files). Two
gunicorns serve the same database and media: one from this tree ("after"), one from
a temporary git worktree of `main` ("before"). Headless Chromium (/usr/bin/chromium,
through Playwright) opens the gallery in a fresh context with `viewport 390x844,
device_scale_factor=3`, waits until the network is idle (the tiles are
`loading="lazy"`: Chromium loads those within its distance threshold of the screen,
as a phone does before any scroll) and adds up the bodies of the image responses.
The same is done at 1280x800, ratio 1, to show what a desktop gets, and the first
photo is opened in the viewer on the phone.

WebP: for the middle images of the first screen, the bytes of a WebP of the same
pixels at the lowest quality whose PSNR (against the unencoded resize) is at least
the JPEG's are printed beside the JPEG's bytes.

Exits 1 when the phone's bytes after are more than a third of before.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

PROJECT_ROOT = common.PROJECT_ROOT
BUDGET = 1 / 3
SLUG = "phone-bytes"
WIDTH, HEIGHT = 6000, 4000
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def base_photo(seed: int, size: tuple[int, int] = (WIDTH, HEIGHT)):
    """A photo-like image, 6000x4000 unless `size` says otherwise: what makes JPEGs of
    photos large (gradients, edges, texture at two scales), with milder noise than
    bench/derivatives.py's worst case."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    width, height = size
    rng = random.Random(seed)
    red = Image.linear_gradient("L").rotate(rng.randrange(360)).resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = red.transpose(Image.Transpose.ROTATE_180)
    im = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(im)
    for _ in range(300):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(20, 1200), rng.randrange(20, 1200)
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=fill)
    for _ in range(200):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(2)]
        draw.line(points, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(1, 10))
    im = im.filter(ImageFilter.GaussianBlur(2.0))
    fine = Image.effect_noise((width, height), 10)
    coarse = Image.effect_noise((width // 8, height // 8), 30).resize((width, height), Image.Resampling.BICUBIC)
    texture = ImageChops.add(fine, coarse, scale=2.0, offset=0)
    noise = Image.merge("RGB", (texture, texture.transpose(Image.Transpose.FLIP_LEFT_RIGHT), texture))
    return ImageChops.add(im, noise, scale=1.0, offset=-128)


def photo_variants(count: int):
    """`count` different JPEGs (name, bytes) from a few base photos: mirrored, flipped,
    turned to portrait (one in five), tinted."""
    from PIL import Image

    transforms = [None, Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90, Image.Transpose.FLIP_TOP_BOTTOM]
    transforms += [Image.Transpose.ROTATE_180]
    bases = {}
    for n in range(count):
        seed = n // 10
        if seed not in bases:
            bases = {seed: base_photo(seed)}
        im = bases[seed]
        transform = transforms[n % len(transforms)]
        if transform is not None:
            im = im.transpose(transform)
        tint = 1 + (n % 10) * 0.02
        im = im.point(lambda value, tint=tint: min(255, int(value * tint)))
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=90)
        yield f"IMG_{n:04d}.jpg", buffer.getvalue()


def seed(count: int) -> None:
    """Runs in a child process with the bench's environment: the gallery and its photos."""
    common.django_setup()
    from django.core.files.base import ContentFile

    from galleries.models import Gallery
    from galleries.services.photos import photo_create
    from galleries.services.processing import photo_process

    gallery = Gallery.objects.create(
        name="Phone bytes", slug=SLUG, is_published=True, visibility=Gallery.Visibility.PUBLIC
    )
    sizes = []
    for name, content in photo_variants(count):
        photo = photo_create(gallery=gallery, upload=ContentFile(content, name=name), filename=name)
        photo = photo_process(photo_id=photo.pk)
        sizes.append(len(content))
    print(f"{gallery.photos.ready().count()} ready photos, originals {min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB")


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_server(tree: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    address = f"127.0.0.1:{common.free_port()}"
    command = common.gunicorn_command(address, config=False, workers=2, threads=4)
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    common.wait_until_up(f"http://{address}/g/{SLUG}/", server)
    return server, f"http://{address}"


def first_screen(browser, base: str, device: dict, *, open_viewer: bool = False) -> dict:
    """The image responses of the gallery's first screen in a fresh context: count,
    bytes, and how many of each kind of file; with open_viewer, those of opening the
    first photo in the viewer as well."""
    context = browser.new_context(**device)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: response.request.resource_type == "image" and responses.append(response))
    page.goto(f"{base}/g/{SLUG}/", wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    page.wait_for_load_state("networkidle")
    result = _tally(responses)
    if open_viewer:
        responses.clear()
        page.locator("#photo-grid .tile").first.click()
        page.wait_for_function(
            "() => { const i = document.querySelector('.viewer-image'); return i.complete && i.naturalWidth > 0; }"
        )
        page.wait_for_load_state("networkidle")
        result["viewer"] = _tally(responses)
    context.close()
    return result


def _tally(responses) -> dict:
    kinds: dict[str, int] = {}
    total = 0
    for response in responses:
        total += len(response.body())
        kind = response.url.split("?")[0].rsplit("/", 1)[1]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"images": len(responses), "bytes": total, "kinds": kinds, "urls": [r.url for r in responses]}


def webp_comparison(media: Path, urls: list[str]) -> tuple[int, int, int]:
    """(images, JPEG bytes, WebP bytes) for the middle images among `urls`: each WebP at
    the lowest quality whose PSNR against the unencoded middle resize is at least the JPEG's."""
    import numpy as np
    from PIL import Image

    sys.path.insert(0, str(PROJECT_ROOT))
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            PHOTO_MAX_PIXELS=150_000_000, PHOTO_THUMB_SIZE=400, PHOTO_MIDDLE_SIZE=1024, PHOTO_DISPLAY_SIZE=1600
        )
        django.setup()
    from galleries import imaging

    def psnr(a, b) -> float:
        error = np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)
        return 10 * np.log10(255**2 / error)

    def encoded(im, image_format, quality):
        buffer = io.BytesIO()
        # The JPEG as the worker writes the middle image (progressive, optimized tables).
        options = {"method": 4} if image_format == "WEBP" else {"optimize": True, "progressive": True}
        im.save(buffer, image_format, quality=quality, **options)
        data = buffer.getvalue()
        return len(data), psnr(im, Image.open(io.BytesIO(data)).convert("RGB"))

    count = jpeg_total = webp_total = 0
    for url in urls:
        if not url.endswith("/middle"):
            continue
        key = url.rsplit("/", 2)[1]
        [original] = list(media.glob(f"galleries/*/{key}/original.*"))
        with original.open("rb") as fh:
            display, _ = imaging._upright_display(fh)
        middle = imaging._resize(display, imaging._fit(display.size, 1024), imaging.MIDDLE_FILTER)
        jpeg_bytes, jpeg_psnr = encoded(middle, "JPEG", imaging.MIDDLE_QUALITY)
        for quality in range(50, 101, 5):
            webp_bytes, webp_psnr = encoded(middle, "WEBP", quality)
            if webp_psnr >= jpeg_psnr:
                break
        count += 1
        jpeg_total += jpeg_bytes
        webp_total += webp_bytes
    return count, jpeg_total, webp_total


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="keep the temporary folder here (to look at the photos)")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.seed:
        seed(args.photos)
        return
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")

    directory = tempfile.mkdtemp(prefix="eventgallery-phone-bytes-")
    root = Path(directory)
    before_tree = root / "main"
    servers = []
    try:
        # Plain HTTP on loopback (common.project_env).
        env = {**os.environ, **common.project_env(root, PHOTOS_PER_PAGE="60", FACE_SEARCH_ENABLED="false")}
        started = time.monotonic()
        run(["git", "worktree", "add", "--detach", str(before_tree), "main"], cwd=PROJECT_ROOT, env=env)
        commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=before_tree, env=env).strip()
        trees = {"before (main)": before_tree, "after (this tree)": PROJECT_ROOT}
        for tree in trees.values():
            # Each tree's migrations on the one database: each code finds its columns
            # (and ignores the other's).
            common.migrate({**env, "STATIC_ROOT": str(root / f"static-{tree.name}")}, collectstatic=True, cwd=tree)
        print(
            run(
                [sys.executable, str(Path(__file__).resolve()), "--seed", "--photos", str(args.photos)],
                cwd=PROJECT_ROOT,
                env=env,
            ).strip()
        )
        print(f"set up in {time.monotonic() - started:.0f} s; before is main at {commit}")

        bases = {}
        for name, tree in trees.items():
            server, base = start_server(
                tree, {**env, "STATIC_ROOT": str(root / f"static-{tree.name}")}, root / f"{tree.name}.log"
            )
            servers.append(server)
            bases[name] = base

        from playwright.sync_api import sync_playwright

        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for name, base in bases.items():
                    results[name] = {
                        "phone": first_screen(browser, base, PHONE, open_viewer=True),
                        "desktop": first_screen(browser, base, DESKTOP),
                    }
            finally:
                browser.close()

        print()
        print("| code | screen | images | bytes | files |")
        print("|---|---|---|---|---|")
        for name, by_screen in results.items():
            for screen, result in by_screen.items():
                label = "390x844 @3" if screen == "phone" else "1280x800 @1"
                kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result["kinds"].items()))
                print(f"| {name} | {label} | {result['images']} | {kb(result['bytes'])} | {kinds} |")
            viewer = by_screen["phone"]["viewer"]
            kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(viewer["kinds"].items()))
            print(f"| {name} | phone, viewer opened | {viewer['images']} | {kb(viewer['bytes'])} | {kinds} |")
        before, after = (results[name]["phone"]["bytes"] for name in trees)
        ratio = after / before
        count, jpeg_total, webp_total = webp_comparison(root / "media", results["after (this tree)"]["phone"]["urls"])
        if count:
            print(
                f"\nWebP at the JPEG's PSNR, the {count} middle images of the phone's first screen: "
                f"JPEG {kb(jpeg_total)}, WebP {kb(webp_total)} ({webp_total / jpeg_total:.2f} x)"
            )
        verdict = "PASS" if ratio <= BUDGET else "FAIL"
        print(
            f"\n{verdict}: the phone's first screen weighs {ratio:.2f} x what it weighed before (budget {BUDGET:.2f})"
        )
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(before_tree)], cwd=PROJECT_ROOT, capture_output=True
        )
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("main", "static-*"))
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(0 if ratio <= BUDGET else 1)


if __name__ == "__main__":
    main()
