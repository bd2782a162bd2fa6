"""Where the faces are: dlib's HOG detector over the image at the scales that find
faces from 40 px up in 24-megapixel group shots, and its CNN detector for selfies the
HOG detector cannot read.

Detection must find faces from 40 px up in 24-megapixel group shots. A scan costs the
same for every pixel, and a 2x scan of 24 MP (the `face_recognition` library's
documented usage) takes about 10 s on one core. The scan plan of a big photo (see
`detect`) spends the pixels where they are needed: a sparse pyramid of the whole image
with a lowered threshold, which finds the faces at its levels and flags the faces
between them and somewhat below its finest level as candidates; the fine scale only
around those candidates, and around the small faces found, since the faces of a group
stand side by side at similar sizes. bench/README.md has the measurements behind the
numbers below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from faces.engines.local.cnn_process import cnn_boxes
from faces.engines.local.models import loaded_models

# Side of the frontal detector's scanning window: at scale 1 it finds faces of about
# 75 px and up (its boxes are a little smaller than the window).
_WINDOW_PX = 80
DEFAULT_MIN_FACE_PX = 40
# Images up to this many pixels at the fine scale 80 / min_face_px (4.5 MP at 2x) get
# one scan of the whole image at that scale, with dlib's own pyramid: about 1.3 s.
_SCAN_PIXELS = 18_000_000
# The finest level of a big photo's sparse pyramid has this many pixels: 0.87x for
# 6000 x 4000, where faces of 85 px and up are found outright and most of those of
# 50-85 px are flagged as candidates. (At 13.5 MP, one face of 54 px of the event sets
# was lost.)
_TOP_LEVEL_PIXELS = 18_000_000
# The sparse pyramid's two finest levels are 1.2x apart, as dlib's, since they flag the
# smallest faces; the others 1.44x (every other level of dlib's pyramid), so the whole
# costs 2.3 times its finest level, where dlib's costs 3.3.
_FIRST_LEVEL_STEP = 1.2
_LEVEL_STEP = 1.44
# How far below the detector's own threshold a coarse window still counts as a
# candidate. -1.2 (the threshold before) made 3-5x the fine scans in trials (bench/README.md).
_CANDIDATE_THRESHOLD = -0.8
# Faces smaller than a candidate's box can be inside it; the fine pass looks for faces
# down to this share of the box (and never below min_face_px).
_SMALLEST_FACE_IN_CANDIDATE = 0.55
# Around a candidate, the fine pass also covers this many box sizes on each side, for
# a smaller face off the candidate's centre or beside it (faces of a group stand side
# by side). On the event set, 0.4-1.0 found the same faces; 1.0 scanned 2.5x as much.
_CANDIDATE_MARGIN = 0.5
# Faces found smaller than this many finest-level windows get their neighbourhood (this
# many face sizes on each side) scanned for faces down to this share of their size.
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
    """Every face of min_face_px and up in a grayscale image, surest first per face.

    The scan plan. dlib's detector finds faces about the size of its 80 px window in
    the image it scans, and in each level of the pyramid it builds below it (each 5/6 of
    the one above), so one scan at scale s finds faces of 75/s px and up, at a cost of
    3.3 times the pixels of the image scanned.

    - An image of up to 4.5 MP is scanned whole at the fine scale 80 / min_face_px
      (2x for 40 px faces) with dlib's pyramid: selfies, phone photos, t1.jpg.
    - A bigger one is scanned whole on a sparse pyramid of its own, each level by a
      detector limited to that level, with the threshold lowered by 0.8: 18 MP (0.87x
      for 6000 x 4000), 1.2x smaller, then 1.44x smaller each (every other level of
      dlib's pyramid), down to the window. That is 42 MP scanned for 6000 x 4000,
      where dlib's pyramid below 0.87x scans 59. Windows scoring >= 0 are faces; the
      others are candidates: a face between two levels, or somewhat smaller than the
      finest one's window (50-85 px at 0.87x), scores there without reaching 0.
    - Around each candidate (half its size on each side), a scan at the scale that finds
      faces of 0.55 x its size (never below min_face_px, so at most 2x).
    - Around each face found smaller than 1.2 finest-level windows (110 px), three face
      sizes on each side scanned for faces down to 0.7 x its size, repeated for the faces
      that finds: people stand side by side at similar sizes, and the smaller ones may
      not have been candidates.
    - Overlapping regions are scanned once where that costs no more.
    """
    fine_scale = _WINDOW_PX / min_face_px
    whole = (0, 0, gray.width, gray.height)
    if gray.width * gray.height * fine_scale**2 <= _SCAN_PIXELS:
        return _dedupe(_scan(gray, whole, fine_scale, 0.0))
    top_scale = min(fine_scale, math.sqrt(_TOP_LEVEL_PIXELS / (gray.width * gray.height)))
    candidates = sorted(_scan_sparse_pyramid(gray, top_scale), key=lambda d: -d.score)
    found = [c for c in candidates if c.score >= 0]
    regions = []
    for candidate in candidates:
        scale = _WINDOW_PX / max(min_face_px, _SMALLEST_FACE_IN_CANDIDATE * candidate.size)
        if scale > top_scale:
            regions.append(_around(candidate, _CANDIDATE_MARGIN, scale, gray.size))
    # Small faces that are found lead to the faces beside them, which may be smaller
    # still and too small to be candidates; rounds go on while they find new faces.
    small_face = _NEIGHBOURS_OF_FACES_BELOW * _WINDOW_PX / top_scale
    scanned: list[_Region] = []
    newly_found = found
    while regions or newly_found:
        for face in newly_found:
            scale = _WINDOW_PX / max(min_face_px, _SMALLEST_NEIGHBOUR * face.size)
            if face.size < small_face and scale > top_scale:
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


def _scan_sparse_pyramid(gray: Image.Image, top_scale: float) -> list[Detection]:
    """Faces and candidates (score >= _CANDIDATE_THRESHOLD) at each level of the sparse
    pyramid; each level is made from the one above, which is cheaper than from the image."""
    detector = loaded_models().single_level_detector
    found: list[Detection] = []
    scale = top_scale
    level = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.BILINEAR)
    while min(level.size) >= _WINDOW_PX:
        rects, scores, _ = detector.run(np.asarray(level), 0, _CANDIDATE_THRESHOLD)
        sx, sy = gray.width / level.width, gray.height / level.height
        found += [
            Detection(r.left() * sx, r.top() * sy, (r.right() + 1) * sx, (r.bottom() + 1) * sy, s)
            for r, s in zip(rects, scores, strict=True)
        ]
        scale /= _LEVEL_STEP if scale < top_scale else _FIRST_LEVEL_STEP
        level = level.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.BILINEAR)
    return found


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
    # It runs in a helper process, as it holds the GIL throughout (cnn_process.py).
    small = rgb.copy()
    small.thumbnail((_CNN_MAX_SIDE, _CNN_MAX_SIDE), Image.Resampling.BILINEAR)
    sx, sy = rgb.width / small.width, rgb.height / small.height
    return [
        Detection(left * sx, top * sy, (right + 1) * sx, (bottom + 1) * sy, confidence)
        for left, top, right, bottom, confidence in cnn_boxes(np.asarray(small))
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
