"""Event photos with real faces, made from the project's own test face photos: 24 MP
group shots as a camera takes them, and 12 MP phone photos as guests send them.

    .venv/bin/python bench/event_images.py FOLDER [--count 40] [--size 6000x4000] [--seed 1]

The faces come from faces/tests/face_images.py (the insightface wheel's group photo of
six people, pinned by version and hash, downloaded once by pip); nothing is read from
outside the project. Each picture is the group photo's table (no faces) stretched to the
frame, tinted and grained differently for each picture, with one or two copies of the
group pasted on it, each scaled so that its faces are 1.4-2.6 times their size in the
group photo (about 130-340 px: a group shot's faces), some mirrored. Nothing repeats a
file: each picture differs in tint, grain and placement, so none is a duplicate of another.

Pictures are made from (seed, number) alone, deterministically, and a file already in the
folder is kept: a folder is made once and reused by later runs.
"""

from __future__ import annotations

import argparse
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

CAMERA = (6000, 4000)  # 24 MP
PHONE = (4032, 3024)  # 12 MP


def make_picture(path: Path, *, seed: int, number: int, size: tuple[int, int], quality: int) -> Path:
    """Writes the picture (seed, number) to path as a JPEG, unless it is there already."""
    if path.exists():
        return path
    from PIL import Image, ImageChops, ImageOps

    from faces.tests import face_images

    rng = random.Random(seed * 1_000_003 + number)
    width, height = size
    canvas = face_images.table().resize(size, Image.Resampling.BICUBIC)
    tint = [rng.uniform(0.75, 1.2) for _ in range(3)]
    canvas = Image.merge(
        "RGB", [band.point(lambda v, f=f: min(255, int(v * f))) for band, f in zip(canvas.split(), tint, strict=True)]
    )
    grain = Image.effect_noise(size, rng.uniform(8, 20)).convert("RGB")
    canvas = ImageChops.add(canvas, grain, scale=1.0, offset=-128)

    group = face_images.group_photo().convert("RGB")
    copies = rng.choice([1, 2])
    slot = width // copies
    for copy in range(copies):
        # Faces of 90-130 px in the group photo, 1.4-2.6 times that here, in a 24 MP frame.
        scale = rng.uniform(1.4, 2.6) * width / CAMERA[0]
        scale = min(scale, slot / group.width, height / group.height)
        pasted = group.resize((round(group.width * scale), round(group.height * scale)), Image.Resampling.LANCZOS)
        if rng.random() < 0.5:
            pasted = ImageOps.mirror(pasted)
        x = copy * slot + rng.randrange(0, max(1, slot - pasted.width))
        y = rng.randrange(0, max(1, height - pasted.height))
        canvas.paste(pasted, (x, y))

    partial = path.with_name(path.name + ".part")
    canvas.save(partial, "JPEG", quality=quality)
    partial.replace(path)
    return path


def ensure_pictures(
    folder: Path, *, count: int, prefix: str, size: tuple[int, int], seed: int, quality: int = 90, jobs: int = 2
) -> list[Path]:
    """The first `count` pictures of (prefix, seed) in folder, made when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{prefix}_{seed}_{number:04d}.jpg" for number in range(count)]
    missing = [(number, path) for number, path in enumerate(paths) if not path.exists()]
    if missing:
        print(f"making {len(missing)} pictures of {size[0]}x{size[1]} in {folder} ...", flush=True)
        with ProcessPoolExecutor(jobs) as pool:
            futures = [
                pool.submit(make_picture, path, seed=seed, number=number, size=size, quality=quality)
                for number, path in missing
            ]
            for future in futures:
                future.result()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--size", default=f"{CAMERA[0]}x{CAMERA[1]}", help="WIDTHxHEIGHT (default 6000x4000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--prefix", default="DSC")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    paths = ensure_pictures(
        args.folder,
        count=args.count,
        prefix=args.prefix,
        size=(width, height),
        seed=args.seed,
        quality=args.quality,
        jobs=args.jobs,
    )
    total = sum(path.stat().st_size for path in paths)
    print(f"{len(paths)} pictures in {args.folder}, {total / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
