"""Lighthouse's mobile scores of a gallery of 200 photos, its photo page and its Find me page, under gunicorn.

    (cd bench/lighthouse && npm ci)          # Lighthouse 12 from npm, once
    .venv/bin/python bench/lighthouse.py [--runs 3] [--photos 200] [--before]   # about 6 minutes; 12 with --before

The targets (issue 21, point 10): on the gallery page, performance at least 98;
accessibility, best practices and SEO 100 on the three pages of a public gallery.

The script makes `--photos` photo-like JPEGs with Pillow (3000x2000, one in five
portrait: gradients, shapes, lines and noise, q90), uploads them into a published
public gallery with Find me on, guest uploads open, a description and a date, through
`photo_create`, and processes them with `photo_process` (the worker's job), all in a
temporary folder (SQLite database, media, collected static files). gunicorn serves it
on a free loopback port with DEBUG off. Lighthouse runs with its default (mobile)
preset: a Moto G Power's screen, simulated slow 4G and a 4x slower CPU, headless
Chromium (/usr/bin/chromium, CHROME_PATH). Each page is measured `--runs` times, the
pages taking turns; the median of each score and metric is printed, with the
audits that cost the gallery page the most.

With `--before`, the same database and media are also served by the code of `main`
(a temporary git worktree), measured in the same turns: before and after from one run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from phone_bytes import base_photo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = PROJECT_ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
SLUG = "summer-wedding"
WIDTH, HEIGHT = 3000, 2000
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = {
    "largest-contentful-paint": ("LCP", "s", 1000),
    "first-contentful-paint": ("FCP", "s", 1000),
    "total-blocking-time": ("TBT", "ms", 1),
    "cumulative-layout-shift": ("CLS", "", None),
}
TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 100}
# Find me is kept out of search engines on purpose (noindex): its SEO score stops at 50.
TARGET_PAGES = {
    "performance": {"gallery"},
    "accessibility": {"gallery", "photo", "Find me"},
    "best-practices": {"gallery", "photo", "Find me"},
    "seo": {"gallery", "photo"},
}


def photo_variants(count: int):
    """`count` different JPEGs (name, bytes): ten base photos, mirrored, turned to portrait (one in five), tinted."""
    from PIL import Image

    transforms = [None, Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_90, Image.Transpose.FLIP_TOP_BOTTOM]
    transforms += [Image.Transpose.ROTATE_180]
    bases = [base_photo(seed, (WIDTH, HEIGHT)) for seed in range(10)]
    for n in range(count):
        im = bases[n % len(bases)]
        transform = transforms[(n // len(bases)) % len(transforms)]
        if transform is not None:
            im = im.transpose(transform)
        tint = 1 + (n % 7) * 0.03
        im = im.point(lambda value, tint=tint: min(255, int(value * tint)))
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=90)
        yield f"IMG_{n:04d}.jpg", buffer.getvalue()


def seed(count: int) -> None:
    """Runs in a child process with the bench's environment: the gallery and its photos.
    Prints the first photo's key (for the photo page)."""
    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventgallery.settings")
    import datetime

    import django

    django.setup()
    from django.core.files.base import ContentFile

    from galleries.models import Gallery
    from galleries.services.photos import photo_create
    from galleries.services.processing import photo_process

    gallery = Gallery.objects.create(
        name="Anna & Tom's wedding",
        slug=SLUG,
        is_published=True,
        visibility=Gallery.Visibility.PUBLIC,
        event_date=datetime.date(2026, 6, 20),
        description="Thank you for celebrating with us at the lake. Keep your favourites, and add your own photos.",
        guest_uploads=[value for value in Gallery.GuestUploads.values if value != Gallery.GuestUploads.OFF][0],
    )
    for name, content in photo_variants(count):
        photo = photo_create(gallery=gallery, upload=ContentFile(content, name=name), filename=name)
        photo_process(photo_id=photo.pk, index_faces=False)
    # On after processing: no faces to index in these photos, and the button shows.
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)
    first = gallery.photos.ready().in_display_order().first()
    print(first.key)


def run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 1800) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def start_server(tree: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    address = f"127.0.0.1:{common.free_port()}"
    command = [sys.executable, "-m", "gunicorn", "eventgallery.wsgi", "-b", address, "-w", "2", "--threads", "4"]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    common.wait_until_up(f"http://{address}/g/{SLUG}/", server)
    return server, f"http://{address}"


def lighthouse(url: str, report: Path) -> dict:
    """One run of Lighthouse's default (mobile) preset; the scores, metrics and costly audits."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, timeout=300, capture_output=True)
    result = json.loads(report.read_text())
    audits = result["audits"]
    failing = sorted(
        f"{audit_id} ({audit['score']})"
        for category in CATEGORIES
        for ref in result["categories"][category]["auditRefs"]
        if ref["weight"] > 0
        for audit_id in [ref["id"]]
        for audit in [audits[audit_id]]
        if audit.get("score") is not None and audit["score"] < 1 and category != "performance"
    )
    savings = {
        audit_id: audits[audit_id].get("details", {}).get("overallSavingsMs") or 0
        for audit_id in ("render-blocking-resources", "uses-responsive-images", "offscreen-images")
        if audit_id in audits
    }
    wasted_bytes = audits.get("uses-responsive-images", {}).get("details", {}).get("overallSavingsBytes") or 0
    hero = _first_image(audits.get("network-requests"))
    return {
        "scores": {category: round(100 * result["categories"][category]["score"]) for category in CATEGORIES},
        "metrics": {audit_id: audits[audit_id]["numericValue"] for audit_id in METRICS},
        "failing": failing,
        "savings_ms": savings,
        "oversized_kb": wasted_bytes / 1024,
        "lcp_element": _first_node(audits.get("largest-contentful-paint-element")),
        "shifted": _first_node(audits.get("layout-shifts")),
        "hero_kb": (hero.get("transferSize") or 0) / 1024,
        "hero_url": hero.get("url", ""),
    }


def _first_image(audit: dict | None) -> dict:
    """The page's first image request: the hero, which the page preloads from its head."""
    items = (audit or {}).get("details", {}).get("items") or []
    images = [item for item in items if item.get("resourceType") == "Image"]
    return min(images, key=lambda item: item.get("networkRequestTime", 0), default={})


def _first_node(audit: dict | None) -> str:
    """The snippet of the first element an audit names (its table may sit inside another)."""
    items = (audit or {}).get("details", {}).get("items") or []
    while items and "node" not in items[0] and items[0].get("items"):
        items = items[0]["items"]
    return items[0].get("node", {}).get("snippet", "") if items else ""


def median_row(runs: list[dict]) -> dict:
    row = {category: statistics.median(r["scores"][category] for r in runs) for category in CATEGORIES}
    for audit_id in METRICS:
        row[audit_id] = statistics.median(r["metrics"][audit_id] for r in runs)
    row["render_blocking_ms"] = statistics.median(r["savings_ms"].get("render-blocking-resources", 0) for r in runs)
    row["oversized_kb"] = statistics.median(r["oversized_kb"] for r in runs)
    row["hero_kb"] = statistics.median(r["hero_kb"] for r in runs)
    row["failing"] = sorted({audit for r in runs for audit in r["failing"]})
    return row


def metric(audit_id: str, value: float) -> str:
    _, unit, divisor = METRICS[audit_id]
    if divisor is None:
        return f"{value:.3f}"
    return f"{value / divisor:.1f} {unit}" if unit == "s" else f"{value:.0f} {unit}"


def _runs(args, bases: dict[str, str], pages: dict[str, str], root: Path) -> dict[tuple[str, str], list[dict]]:
    """Lighthouse `args.runs` times on each page of each server, the code under test taking turns."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for number in range(args.runs):
        for name, base in bases.items():
            for page, path in pages.items():
                report = root / "report.json"
                result = lighthouse(base + path, report)
                if args.reports:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    slug = f"{name.split()[0]}-{page.replace(' ', '-').lower()}-{number + 1}.json"
                    shutil.copy(report, args.reports / slug)
                runs.setdefault((name, page), []).append(result)
                print(f"run {number + 1}: {name}, {page}: {result['scores']}", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--before", action="store_true", help="measure main's code on the same data too")
    parser.add_argument("--reports", type=Path, help="keep each run's Lighthouse report (JSON) in this folder")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.seed:
        seed(args.photos)
        return
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: (cd bench/lighthouse && npm ci)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")

    root = Path(tempfile.mkdtemp(prefix="eventgallery-lighthouse-"))
    before_tree = root / "main"
    servers = []
    try:
        # Each tree collects its static files into a folder of its own (below).
        env = {**os.environ, **common.project_env(root, ALLOWED_HOSTS="127.0.0.1")}
        started = time.monotonic()
        trees = {"after (this tree)": PROJECT_ROOT}
        if args.before:
            run(["git", "worktree", "add", "--detach", str(before_tree), "main"], cwd=PROJECT_ROOT, env=env)
            commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=before_tree, env=env).strip()
            trees = {f"before (main {commit})": before_tree, **trees}
        for tree in trees.values():
            run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=tree, env=env)
            static_env = {**env, "STATIC_ROOT": str(root / f"static-{tree.name}")}
            run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=tree, env=static_env)
        key = run(
            [sys.executable, str(Path(__file__).resolve()), "--seed", "--photos", str(args.photos)],
            cwd=PROJECT_ROOT,
            env=env,
        ).strip()
        print(f"{args.photos} photos set up in {time.monotonic() - started:.0f} s")

        pages = {
            "gallery": f"/g/{SLUG}/",
            "photo": f"/g/{SLUG}/p/{key}/",
            "Find me": f"/g/{SLUG}/find-me/",
        }
        bases = {}
        for name, tree in trees.items():
            server_env = {**env, "STATIC_ROOT": str(root / f"static-{tree.name}")}
            server, base = start_server(tree, server_env, root / f"{tree.name}.log")
            servers.append(server)
            bases[name] = base

        load_before = Path("/proc/loadavg").read_text().split()[:3]
        runs = _runs(args, bases, pages, root)
        load_after = Path("/proc/loadavg").read_text().split()[:3]

        print()
        print(f"Lighthouse mobile preset, median of {args.runs} runs ({args.photos} photos)")
        # The scores move with the machine's load (TBT most); LCP and the hero's bytes much less.
        print(f"load average (1, 5, 15 min) before the runs {' '.join(load_before)}, after {' '.join(load_after)}")
        print()
        print("| code | page | perf | a11y | best pr. | SEO | LCP | FCP | TBT | CLS | blocking | oversized | hero |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        verdicts = []
        for (name, page), page_runs in runs.items():
            row = median_row(page_runs)
            scores = " | ".join(f"{row[category]:.0f}" for category in CATEGORIES)
            metrics = " | ".join(metric(audit_id, row[audit_id]) for audit_id in METRICS)
            print(
                f"| {name} | {page} | {scores} | {metrics} | {row['render_blocking_ms']:.0f} ms "
                f"| {row['oversized_kb']:.0f} KB | {row['hero_kb']:.0f} KB |"
            )
            if row["failing"]:
                verdicts.append(f"{name}, {page}: audits short of 1: {', '.join(row['failing'])}")
            if name.startswith("after"):
                for category, target in TARGETS.items():
                    if page in TARGET_PAGES[category] and row[category] < target:
                        verdicts.append(f"FAIL {page}: {category} {row[category]:.0f} < {target}")
        last = runs[(next(reversed(bases)), "gallery")][-1]
        print(f"\nthe gallery page's LCP element: {last['lcp_element']}")
        for name in bases:
            hero = runs[(name, "gallery")][-1]
            print(f"{name}: the gallery page's first image (its hero): {hero['hero_url']} ({hero['hero_kb']:.0f} KB)")
            scores = ", ".join(str(r["scores"]["performance"]) for r in runs[(name, "gallery")])
            print(f"{name}: the gallery page's performance, run by run: {scores}")
        if last["shifted"]:
            print(f"the gallery page's first shifted element: {last['shifted']}")
        for verdict in verdicts:
            print(verdict)
        failed = any(verdict.startswith("FAIL") for verdict in verdicts)
        print("\nFAIL" if failed else "\nPASS: the targets are met")
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.before:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(before_tree)], cwd=PROJECT_ROOT, capture_output=True
            )
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
