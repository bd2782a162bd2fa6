"""Peak memory of the upload check (galleries.imaging.inspect_image) on a 144 MP PNG
and a 144 MP TIFF, against the check it replaced (Pillow decoding the whole image).

    .venv/bin/python bench/upload_check_memory.py

Each check runs in a fresh interpreter set up like the web process (django.setup()
with the project's settings, galleries.imaging imported). Its idle resident memory
is read once the file is open, the kernel's peak (VmHWM) is reset from there
(/proc/self/clear_refs), the check runs, and the peak above idle is reported. The
budget is 150 MB above idle for ours; the script exits 1 when it is missed.
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

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 150
WIDTH = HEIGHT = 12_000  # 144 megapixels

MEASURE = """
import json, sys, time
import django
django.setup()
from PIL import Image
from galleries.imaging import inspect_image

def full_decode(fileobj):
    # The check before bounded memory, for PNG and TIFF: open, then decode everything.
    with Image.open(fileobj) as im:
        im.load()
        im.getexif()

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field)) / 1024

check = {"ours": inspect_image, "full decode": full_decode}[sys.argv[1]]
with open(sys.argv[2], "rb") as fileobj:
    idle = status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    started = time.perf_counter()
    check(fileobj)
    seconds = time.perf_counter() - started
    print(json.dumps({"idle": idle, "peak": status("VmHWM:"), "seconds": seconds}))
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


def measure(checker: str, path: Path) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventgallery.settings"}
    environment.setdefault("SECRET_KEY", "bench-only-secret-key")
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
        files = {"PNG": Path(folder) / "party.png", "TIFF": Path(folder) / "scan.tif"}
        make_png(files["PNG"])
        make_tiff(files["TIFF"])
        print(f"{WIDTH}x{HEIGHT} ({WIDTH * HEIGHT / 1e6:g} MP); budget: ours <= {BUDGET_MB} MB above idle")
        print(f"{'file':<28} {'check':<12} {'idle MB':>8} {'peak MB':>8} {'above idle':>11} {'seconds':>8}")
        for kind, path in files.items():
            label = f"{kind}, {path.stat().st_size / 1e6:.1f} MB"
            for checker in ("full decode", "ours"):
                figures = measure(checker, path)
                above = figures["peak"] - figures["idle"]
                print(
                    f"{label:<28} {checker:<12} {figures['idle']:>8.0f} {figures['peak']:>8.0f} "
                    f"{above:>+10.0f}  {figures['seconds']:>8.2f}"
                )
                if checker == "ours" and above > BUDGET_MB:
                    failed = True
    print("FAIL: over the budget" if failed else "PASS: every check within the budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
