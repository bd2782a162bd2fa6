"""The worker's cost per photo with a watermark against without, on a 24-megapixel JPEG.

    .venv/bin/python bench/watermark.py [--rounds 9]

Times galleries.imaging.make_derivatives on the photo of bench/derivatives.py without
a watermark (the baseline), with a text mark and with a logo mark (a 1600x800 PNG
with transparency, as galleries/watermark.py stores it), interleaved, the order
rotating each round, pinned to one core. Then the drawing alone
(galleries.watermark.apply on the display and the middle image), which is what the
watermark adds: the difference of two pipeline medians is noisier than it is.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
from pathlib import Path

import common

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derivatives import configure_django, make_photo, pin_to_one_core  # noqa: E402


def marks():
    from PIL import Image, ImageDraw

    from galleries import watermark

    logo = Image.new("RGBA", (1600, 800), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((0, 0, 799, 799), fill=(230, 40, 40, 255))
    draw.rectangle((900, 200, 1599, 600), fill=(255, 255, 255, 200))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    stored = watermark.logo_open(watermark.logo_normalise(io.BytesIO(buffer.getvalue())))
    return {
        "without (baseline)": None,
        "text": watermark.Mark(text="© Studio Lumen 2026", size=25),
        "logo": watermark.Mark(logo=stored, size=20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    pinning = pin_to_one_core()
    configure_django()
    import PIL

    from galleries import watermark
    from galleries.imaging import make_derivatives

    variants = marks()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "photo-24mp.jpg"
        make_photo(path)
        print(f"photo: 6000x4000 JPEG q90, {path.stat().st_size / 1e6:.1f} MB")
        print(f"Pillow {PIL.__version__}, {pinning}, {os.cpu_count()} CPUs")
        print("load average before timing: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))

        def run(mark):
            with path.open("rb") as fileobj:
                derivatives, seconds = common.timed(make_derivatives, fileobj, mark=mark)
                return seconds, derivatives

        names = list(variants)
        samples = {name: [] for name in names}
        sizes = {}
        run(None)  # warm-up: imports, font
        for round_ in range(args.rounds):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                elapsed, derivatives = run(variants[name])
                samples[name].append(elapsed)
                sizes[name] = {d.kind: len(d.content) for d in derivatives}

        print(f"\nmake_derivatives, {args.rounds} rounds interleaved:")
        baseline = statistics.median(samples[names[0]])
        for name in names:
            median = statistics.median(samples[name])
            print(
                f"  {name:<20} median {median * 1000:5.0f} ms  min {min(samples[name]) * 1000:5.0f} ms"
                f"  ratio {median / baseline:.2f}  display {sizes[name]['display'] / 1000:.0f} KB"
                f"  middle {sizes[name]['middle'] / 1000:.0f} KB"
            )

        # The drawing alone, on images of the display and middle sizes.
        from PIL import Image

        with Image.open(path) as im:
            im.draft("RGB", (1600, 1067))
            display = im.convert("RGB").resize((1600, 1067))
        middle = display.resize((1024, 683))
        print("\nwatermark.apply on the display and the middle image (median of 50):")
        for name in names[1:]:
            timings = []
            for _ in range(50):
                with common.Stopwatch() as watch:
                    watermark.apply(display, variants[name])
                    watermark.apply(middle, variants[name])
                timings.append(watch.wall_s)
            print(f"  {name:<20} {statistics.median(timings) * 1000:5.1f} ms per photo")


if __name__ == "__main__":
    main()
