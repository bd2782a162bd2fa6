"""Where the faces are: dlib's HOG detector over the image at the scales that find
faces from 40 px up in 24-megapixel group shots, and its CNN detector for selfies the
HOG detector cannot read.

Detection must find faces from 40 px up in 24-megapixel group shots, several times
faster than the `face_recognition` library's documented usage, which scans the whole
photo at 2x. A scan costs the same for every pixel, and a 2x scan of 24 MP takes about
10 s on one core. So a big photo is scanned once at a coarse scale (18 MP) with a
lowered threshold, which also flags faces somewhat smaller than the detector's 80 px
window; the fine scale is then spent only around those candidates, and around the
small faces found, since the faces of a group stand side by side at similar sizes.
bench/README.md has the measurements behind the numbers below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from faces.engines.local.models import loaded_models

# Side of the frontal detector's scanning window: at scale 1 it finds faces of about
# 75 px and up (its boxes are a little smaller than the window).
_WINDOW_PX = 80
DEFAULT_MIN_FACE_PX = 40
# The most pixels a scan of a whole image may cover: about 1.3 s on one core, the
# smaller levels of its pyramid included. Images small enough for it at the fine scale
# get that one scan. A 6000 x 4000 photo is scanned at 0.87, where faces of 85 px and
# up are found outright and most of those of 50-85 px are flagged as candidates.
_SCAN_PIXELS = 18_000_000
# How far below the detector's own threshold a coarse window still counts as a candidate.
_CANDIDATE_THRESHOLD = -1.2
# Faces smaller than a candidate's box can be inside it; the fine pass looks for faces
# down to this share of the box (and never below min_face_px).
_SMALLEST_FACE_IN_CANDIDATE = 0.55
# Around a candidate, the fine pass also covers this many box sizes on each side, for
# a smaller face off the candidate's centre or beside it (faces of a group stand side
# by side). On the event set, 0.4-1.0 found the same faces; 1.0 scanned 2.5x as much.
_CANDIDATE_MARGIN = 0.5
# Faces found smaller than this many coarse windows get their neighbourhood (this many
# face sizes on each side) scanned for faces down to this share of their size.
_NEIGHBOURS_OF_FACES_BELOW = 1.2
_NEIGHBOURHOOD = 3.0
_SMALLEST_NEIGHBOUR = 0.7
_DUPLICATE_IOU = 0.35

_CNN_MAX_SIDE = 320


@dataclass(frozen=True)
class Detection:
    left: float
    top: float
    right: float
    bottom: float
    score: float

    @property
    def size(self) -> float:
        return max(self.right - self.left, self.bottom - self.top)


def upright(image: Image.Image) -> Image.Image:
    if image.getexif().get(0x0112, 1) != 1:
        return ImageOps.exif_transpose(image)
    return image


def detect(gray: Image.Image, *, min_face_px: int) -> list[Detection]:
    fine_scale = _WINDOW_PX / min_face_px
    coarse_scale = min(fine_scale, math.sqrt(_SCAN_PIXELS / (gray.width * gray.height)))
    whole = (0, 0, gray.width, gray.height)
    if coarse_scale == fine_scale:
        return _dedupe(_scan(gray, whole, fine_scale, 0.0))
    candidates = _scan(gray, whole, coarse_scale, _CANDIDATE_THRESHOLD)
    found = _dedupe([c for c in candidates if c.score >= 0])
    regions = []
    for candidate in candidates:
        scale = _WINDOW_PX / max(min_face_px, _SMALLEST_FACE_IN_CANDIDATE * candidate.size)
        if scale > coarse_scale:
            regions.append(_around(candidate, _CANDIDATE_MARGIN, scale, gray.size))
    # Small faces that are found lead to the faces beside them, which may be smaller
    # still and too small to be candidates; rounds go on while they find new faces.
    small_face = _NEIGHBOURS_OF_FACES_BELOW * _WINDOW_PX / coarse_scale
    scanned: list[_Region] = []
    newly_found = found
    while regions or newly_found:
        for face in newly_found:
            scale = _WINDOW_PX / max(min_face_px, _SMALLEST_NEIGHBOUR * face.size)
            if face.size < small_face and scale > coarse_scale:
                regions.append(_around(face, _NEIGHBOURHOOD, scale, gray.size))
        newly_found = []
        for region in _merge([r for r in regions if not any(r.within(done) for done in scanned)]):
            scanned.append(region)
            for face in _scan(gray, (region.left, region.top, region.right, region.bottom), region.scale, 0.0):
                if all(_iou(face, other) < _DUPLICATE_IOU for other in found + newly_found):
                    newly_found.append(face)
                else:
                    found.append(face)  # _dedupe keeps the surest of the two
        found = found + newly_found
        regions = []
    return _dedupe(found)


def _around(face: Detection, margin: float, scale: float, size: tuple[int, int]) -> _Region:
    pad = margin * face.size
    return _Region(
        max(0, int(face.left - pad)),
        max(0, int(face.top - pad)),
        min(size[0], int(face.right + pad) + 1),
        min(size[1], int(face.bottom + pad) + 1),
        scale,
    )


@dataclass(frozen=True)
class _Region:
    left: int
    top: int
    right: int
    bottom: int
    scale: float

    @property
    def cost(self) -> float:
        return (self.right - self.left) * (self.bottom - self.top) * self.scale**2

    def within(self, other: _Region) -> bool:
        return (
            self.scale <= other.scale
            and other.left <= self.left
            and other.top <= self.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def union(self, other: _Region) -> _Region:
        return _Region(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
            max(self.scale, other.scale),
        )


def _merge(regions: list[_Region]) -> list[_Region]:
    """Overlapping regions scanned once, where that costs no more than scanning each."""
    merged = sorted(regions, key=lambda r: -r.scale)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(merged):
            for j in range(i + 1, len(merged)):
                b = merged[j]
                union = a.union(b)
                if union.cost <= a.cost + b.cost:
                    merged[i] = union
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def _scan(gray: Image.Image, region: tuple[int, int, int, int], scale: float, threshold: float) -> list[Detection]:
    left, top, right, bottom = region
    width, height = round((right - left) * scale), round((bottom - top) * scale)
    if width < _WINDOW_PX // 2 or height < _WINDOW_PX // 2:
        return []
    if (width, height) == gray.size:
        pixels = gray
    else:
        pixels = gray.resize((width, height), Image.Resampling.BILINEAR, box=region)
    rects, scores, _ = loaded_models().detector.run(np.asarray(pixels), 0, threshold)
    sx, sy = (right - left) / width, (bottom - top) / height
    return [
        Detection(left + r.left() * sx, top + r.top() * sy, left + (r.right() + 1) * sx, top + (r.bottom() + 1) * sy, s)
        for r, s in zip(rects, scores, strict=True)
    ]


def detect_with_cnn(rgb: Image.Image) -> list[Detection]:
    # The CNN takes about 0.7 s for 320 x 267 on one core (and 3 s for 640 x 443, which
    # is why it never sees gallery photos); the face of a selfie is big enough at 320 px.
    small = rgb.copy()
    small.thumbnail((_CNN_MAX_SIDE, _CNN_MAX_SIDE), Image.Resampling.BILINEAR)
    sx, sy = rgb.width / small.width, rgb.height / small.height
    return [
        Detection(
            d.rect.left() * sx,
            d.rect.top() * sy,
            (d.rect.right() + 1) * sx,
            (d.rect.bottom() + 1) * sy,
            d.confidence,
        )
        for d in loaded_models().cnn_detector(np.asarray(small), 0)
    ]


def _iou(a: Detection, b: Detection) -> float:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    area_a = (a.right - a.left) * (a.bottom - a.top)
    area_b = (b.right - b.left) * (b.bottom - b.top)
    return overlap / (area_a + area_b - overlap)


def _dedupe(detections: list[Detection]) -> list[Detection]:
    """One detection per face: the surest, when scans at several scales found it."""
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda d: -d.score):
        if all(_iou(detection, other) < _DUPLICATE_IOU for other in kept):
            kept.append(detection)
    return sorted(kept, key=lambda d: -d.size)
