"""How near a copy of a gallery photo lies to it, against another photo of the person:
the figures behind FACE_COPY_DISTANCE and FACE_COPY_HASH_BITS (faces/copies.py).

For each one-person photo of the labelled sets, its largest face is described as
indexing does (the original, upright, full size); then copies of the photo (the display
image with a watermark, the middle image, re-encoded, half size, crops, turned and
enlarged crops, mirrored) are described as Find me does a selfie (at 2048 px), and their
distance to the photo's nearest face and the bits by which their difference hash differs
from the photo's are printed. Then the distances between photos of the same person and
of different people, and the hash bits between different photos.

    DEBUG=true .venv/bin/python bench/find_me_copies.py            # dev, then lfw-dev
    DEBUG=true .venv/bin/python bench/find_me_copies.py --sets dev

About 2 minutes for dev and 25 for lfw-dev on two shared cores.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import sys
from pathlib import Path

import common
import numpy as np
from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _fit(image: Image.Image, edge: int) -> Image.Image:
    scale = min(1, edge / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.HAMMING)


def _crop(image, box, *, face_scale=1.3, angle=0.0, scale=1.0, quality=75):
    left, top, width, height = box
    cx, cy, half = left + width / 2, top + height / 2, max(width, height) * face_scale
    crop = image.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half * 1.4)))
    if angle:
        crop = crop.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
    if scale != 1:
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.BICUBIC)
    return _jpeg(crop, quality)


def _watermarked(image):
    image = image.copy()
    ImageDraw.Draw(image).text((image.width * 0.6, image.height * 0.9), "(c) Studio Example 2026", fill=(255,) * 3)
    return image


COPIES = {
    "display + watermark, q82": lambda im, box: _jpeg(_watermarked(_fit(im, 1600)), 82),
    "middle, q80": lambda im, box: _jpeg(_fit(im, 1024), 80),
    "re-encoded q40": lambda im, box: _jpeg(im, 40),
    "half size, q70": lambda im, box: _jpeg(_fit(im, max(im.size) // 2), 70),
    "crop, q75": lambda im, box: _crop(im, box),
    "tight crop x0.7, q60": lambda im, box: _crop(im, box, face_scale=0.9, scale=0.7, quality=60),
    "crop turned 6°, x1.6, q55": lambda im, box: _crop(im, box, angle=6, scale=1.6, quality=55),
    "crop turned 12°, x2, q50": lambda im, box: _crop(im, box, angle=12, scale=2.0, quality=50),
    "mirrored": lambda im, box: _jpeg(ImageOps.mirror(im), 85),
    "display, cropped, x3": lambda im, box: _crop(_jpeg(_fit(im, 1600), 82), box, scale=3.0, quality=70),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--sets", default="dev,lfw-dev")
    args = parser.parse_args()
    common.django_setup()
    for name in args.sets.split(","):
        measure(args.shared / name)


def measure(folder: Path) -> None:
    from faces.copies import picture_hash
    from faces.engines.local.engine import describe_selfie_face, find_faces
    from faces.search import distance
    from galleries.imaging import open_upright_rgb

    def bits(a: bytes, b: bytes) -> int:
        return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())

    with open(folder / "labels.csv") as labels:
        rows = [r for r in csv.DictReader(labels) if ";" not in r["people"]]
    rows = [r for r in rows if not r["file"].startswith("group")]
    copies = {name: ([], []) for name in COPIES}
    photos = []
    for row in rows:
        with open(folder / row["file"], "rb") as f:
            image = open_upright_rgb(f)
        faces = find_faces(image)
        if not faces:
            continue
        face, hashed = faces[0], picture_hash(image)
        photos.append((row["people"], face.descriptor, hashed))
        box = (face.box.left, face.box.top, face.box.width, face.box.height)
        for name, make in COPIES.items():
            copy = _fit(make(image, box), 2048)
            selfie, _, _ = describe_selfie_face(copy)
            if selfie is None:
                continue
            copies[name][0].append(min(distance(selfie.descriptor, f.descriptor) for f in faces))
            copies[name][1].append(bits(picture_hash(copy), hashed))
    print(f"{folder.name}: {len(photos)} photos")
    print("  copy                        n    distance to the photo's face: min median p95 max", end="")
    print(" | hash bits: median p95 max")
    for name, (distances, hash_bits) in copies.items():
        d, h = np.array(distances), np.array(hash_bits)
        if len(d):
            print(
                f"  {name:26s} {len(d):4d}   {d.min():.3f} {np.median(d):.3f} {np.percentile(d, 95):.3f} {d.max():.3f}"
                f" | {np.median(h):.0f} {np.percentile(h, 95):.0f} {h.max()}"
            )
    same, others, hashes = [], [], []
    for (pa, da, ha), (pb, db, hb) in itertools.combinations(photos, 2):
        (same if pa == pb else others).append(distance(da, db))
        hashes.append(bits(ha, hb))
    same, others, hashes = np.array(same), np.array(others), np.array(hashes)
    print(
        f"  same person, another photo: n={len(same)} min={same.min():.3f} p1={np.percentile(same, 1):.3f} "
        f"p5={np.percentile(same, 5):.3f} median={np.median(same):.3f}; lowest {np.sort(same)[:5].round(3).tolist()}"
    )
    print(f"  different people: n={len(others)} min={others.min():.3f}")
    print(f"  hash bits between different photos: min={hashes.min()} p1={np.percentile(hashes, 1):.0f}")


if __name__ == "__main__":
    main()
