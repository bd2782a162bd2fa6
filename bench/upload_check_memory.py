"""Peak memory and time of what the web process does with an image, against Pillow
decoding the whole image (what it did before):

- the upload check (galleries.imaging.inspect_image) of a 144 MP PNG and TIFF, and of
  the red team's 12000 x 12000 WebP of a few hundred KB: as an organizer's upload
  ("ours") and as a guest's ("ours, guest": header and structure only);
- that WebP sent as a selfie (faces.services.search.read_image: refused from its header), and
  two selfies decoded within the decode budget, a 25 MP WebP and a 12 MP HEIC, whose
  measured peak is set beside imaging.decode_cost's estimate.

    .venv/bin/python bench/upload_check_memory.py

Each check runs in a fresh interpreter set up like the web process (django.setup()
with the project's settings, galleries.imaging imported). Its idle resident memory
is read once the file is open, the kernel's peak (VmHWM) is reset from there
(/proc/self/clear_refs), the check runs, and the peak above idle is reported. The
budget is 150 MB above idle for ours on uploads, and for a selfie its estimate
(what its decode turn reserves, at most DECODE_MEMORY_MB); the script exits 1 when
one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import common

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 150
WIDTH = HEIGHT = 12_000  # 144 megapixels

MEASURE = """
import io, json, sys, time
import django
django.setup()
from PIL import Image
from faces.services.search import read_image
from galleries.imaging import ImageRejected, _draft, _fit, _open, decode_cost, inspect_image

outcome = {}

def full_decode(fileobj):
    # The check before bounded memory, for PNG and TIFF (and every selfie): open, then decode everything.
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(fileobj) as im:
        im.load()
        im.getexif()

def guest(fileobj):
    inspect_image(fileobj, decode=False)

def selfie(fileobj):
    data = fileobj.read()
    try:
        with _open(io.BytesIO(data)) as im:
            stored = im.size
            _draft(im, _fit(im.size, 2048))
            outcome["estimate"] = decode_cost(im, stored_size=stored, converted=True) / 1024 / 1024
    except ImageRejected:
        pass
    try:
        read_image(io.BytesIO(data))
        outcome["result"] = "decoded"
    except ImageRejected as exc:
        outcome["result"] = str(exc)

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field)) / 1024

check = {"ours": inspect_image, "ours, guest": guest, "ours, selfie": selfie, "full decode": full_decode}[sys.argv[1]]
with open(sys.argv[2], "rb") as fileobj:
    idle = status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    started = time.perf_counter()
    check(fileobj)
    seconds = time.perf_counter() - started
    print(json.dumps({"idle": idle, "peak": status("VmHWM:"), "seconds": seconds, **outcome}))
"""


def photo_rows():
    """Rows of a smooth 144 MP "photo" (gradients, bands and one bit of noise), as uint8 arrays."""
    import numpy as np

    rng = np.random.default_rng(2026)
    x = np.arange(WIDTH)
    noise = rng.integers(0, 2, size=(64, WIDTH, 3), dtype=np.uint8)
    for y in range(HEIGHT):
        row = np.empty((WIDTH, 3), dtype=np.uint8)
        row[:, 0] = x * 255 // WIDTH
        row[:, 1] = y * 255 // HEIGHT
        row[:, 2] = ((x + y) // 47 % 2) * 90 + (x * y // 1_000_000) % 64
        yield row + noise[y % 64]


def make_png(path: Path) -> None:
    """Written row by row (filter Sub), so that making it never holds the image."""
    compressor = zlib.compressobj(6)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)))
        pending = b""
        for row in photo_rows():
            flat = row.reshape(-1)
            sub = flat.copy()
            sub[3:] = flat[3:] - flat[:-3]
            pending += compressor.compress(b"\x01" + sub.tobytes())
            if len(pending) > 8 * 1024 * 1024:
                out.write(chunk(b"IDAT", pending))
                pending = b""
        out.write(chunk(b"IDAT", pending + compressor.flush()) + chunk(b"IEND", b""))


def make_tiff(path: Path) -> None:
    """Deflate-compressed in strips with the horizontal predictor, as scanners and
    editors write large TIFFs."""
    import numpy as np
    from PIL import Image

    pixels = np.stack(list(photo_rows()))
    Image.fromarray(pixels, "RGB").save(path, "TIFF", compression="tiff_adobe_deflate", tiffinfo={317: 2})


def make_webp(path: Path, width: int = WIDTH, height: int = HEIGHT) -> None:
    """The red team's bomb: one flat colour, lossy, a few hundred KB for 144 MP."""
    from PIL import Image

    Image.new("RGB", (width, height), (200, 120, 80)).save(path, "WEBP", quality=10, method=0)


def make_selfie(path: Path, image_format: str, width: int, height: int) -> None:
    """A photo-like selfie (the gradients and noise of photo_rows, cropped)."""
    import numpy as np
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    rows = []
    for y, row in enumerate(photo_rows()):
        if y == height:
            break
        rows.append(row[:width])
    Image.fromarray(np.stack(rows), "RGB").save(path, image_format, quality=80)


def measure(checker: str, path: Path) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventgallery.settings"}
    environment.setdefault("SECRET_KEY", common.SECRET_KEY)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, checker, str(path)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"{checker} on {path.name} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="upload-check-") as folder:
        files = {
            "PNG": Path(folder) / "party.png",
            "TIFF": Path(folder) / "scan.tif",
            "WebP": Path(folder) / "bomb.webp",
            "WebP selfie": Path(folder) / "selfie.webp",
            "HEIC selfie": Path(folder) / "selfie.heic",
        }
        checks = {
            "PNG": ("full decode", "ours"),
            "TIFF": ("full decode", "ours"),
            "WebP": ("full decode", "ours", "ours, guest", "ours, selfie"),
            "WebP selfie": ("full decode", "ours, selfie"),
            "HEIC selfie": ("full decode", "ours, selfie"),
        }
        make_png(files["PNG"])
        make_tiff(files["TIFF"])
        make_webp(files["WebP"])
        make_selfie(files["WebP selfie"], "WEBP", 5000, 5000)
        make_selfie(files["HEIC selfie"], "HEIF", 4000, 3000)
        print(f"{WIDTH}x{HEIGHT} ({WIDTH * HEIGHT / 1e6:g} MP); budget: ours <= {BUDGET_MB} MB above idle")
        print(
            f"{'file':<28} {'check':<13} {'idle MB':>8} {'peak MB':>8} {'above idle':>11} {'seconds':>8}"
            f" {'estimate MB':>11}  outcome"
        )
        for kind, path in files.items():
            label = f"{kind}, {path.stat().st_size / 1e6:.1f} MB"
            for checker in checks[kind]:
                figures = measure(checker, path)
                above = figures["peak"] - figures["idle"]
                estimate = figures.get("estimate")
                print(
                    f"{label:<28} {checker:<13} {figures['idle']:>8.0f} {figures['peak']:>8.0f} "
                    f"{above:>+10.0f}  {figures['seconds']:>8.2f} "
                    f"{'' if estimate is None else f'{estimate:.0f}':>11}  {figures.get('result', '')}"
                )
                if checker == "ours, selfie" and figures.get("result") == "decoded":
                    failed = failed or above > estimate
                elif checker.startswith("ours") and above > BUDGET_MB:
                    failed = True
    print("FAIL: over the budget" if failed else "PASS: every check within the budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
