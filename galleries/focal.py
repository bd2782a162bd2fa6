"""Focal points: where a photo's subject is, so that every crop of it keeps it (the
gallery's hero, the home page's cards, the link preview image, the table cards).

A focal point is kept as the CSS `object-position` that keeps a region of the photo in
view, in whole percent of its width and height, not as the region's centre. With
`object-fit: cover` and an object-position of p (as a ratio) along an axis, a frame that
shows the share v of the photo along that axis shows [p·(1−v), p·(1−v) + v] of it. A
region [a, b] is inside when p·(1−v) ≤ a and p·(1−v) + v ≥ b, and p = a / (a + 1 − b)
meets both for every v ≥ b − a: one value keeps the region whole in every frame it fits
in, whatever the frame's aspect ratio (a phone's hero, a desktop's, a 3:2 card, a
1200×630 preview). A frame too small for it cuts the region as little on one side as on
the other: the region's middle stays in view. A single point (an organizer's click) is
a region of no size: its p is the point itself, always in view.

The region of a photo is its people's heads: the faces its indexing found (faces/services/indexing.py
records the point then), without the small faces of people in the background, each
widened to the whole head (the boxes run from the brows to the chin). No faces: the
centre. An organizer may set the point of the gallery's cover themselves (Gallery.cover_focal_x).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A face smaller than this share of the largest face's height is someone in the background.
BACKGROUND_FACE_SHARE = 0.45
# The head around a face's box, in shares of the box: hair above, the chin below, ears beside. More
# would keep more hair, and fit fewer frames: a group of six across a desktop's hero needs all its height.
HEAD_ABOVE = 0.3
HEAD_BELOW = 0.1
HEAD_BESIDE = 0.1


@dataclass(frozen=True)
class FocalPoint:
    """An object-position, in whole percent of the photo's width (x) and height (y)."""

    x: int = 50
    y: int = 50

    @property
    def css(self) -> str:
        return f"{self.x}% {self.y}%"


CENTRE = FocalPoint()


@dataclass(frozen=True)
class Region:
    """Part of a photo, in ratios of its width and height."""

    left: float
    top: float
    right: float
    bottom: float

    def contains(self, other: Region, *, tolerance: float = 1e-9) -> bool:
        return (
            other.left >= self.left - tolerance
            and other.top >= self.top - tolerance
            and other.right <= self.right + tolerance
            and other.bottom <= self.bottom + tolerance
        )


def _position_keeping(start: float, end: float) -> float:
    """p = a / (a + 1 − b): the object-position that keeps [start, end] in every frame it fits in."""
    start, end = max(0.0, start), min(1.0, end)
    margins = start + (1.0 - end)
    return 0.5 if margins <= 0 else start / margins


def focal_point_of_region(region: Region) -> FocalPoint:
    return FocalPoint(
        x=round(100 * _position_keeping(region.left, region.right)),
        y=round(100 * _position_keeping(region.top, region.bottom)),
    )


def heads_region(boxes: Iterable[tuple[float, float, float, float]]) -> Region | None:
    """The heads of the people in front, from face boxes (left, top, width, height as
    ratios of the photo's width and height), or None without faces."""
    boxes = [box for box in boxes if box[2] > 0 and box[3] > 0]
    if not boxes:
        return None
    tallest = max(height for _, _, _, height in boxes)
    heads = [
        (
            left - HEAD_BESIDE * width,
            top - HEAD_ABOVE * height,
            left + (1 + HEAD_BESIDE) * width,
            top + (1 + HEAD_BELOW) * height,
        )
        for left, top, width, height in boxes
        if height >= BACKGROUND_FACE_SHARE * tallest
    ]
    return Region(
        left=max(0.0, min(head[0] for head in heads)),
        top=max(0.0, min(head[1] for head in heads)),
        right=min(1.0, max(head[2] for head in heads)),
        bottom=min(1.0, max(head[3] for head in heads)),
    )


def focal_point_from_faces(boxes: Iterable[tuple[float, float, float, float]]) -> FocalPoint | None:
    """The focal point that keeps the heads of the faces found in view, or None without faces."""
    region = heads_region(boxes)
    return focal_point_of_region(region) if region is not None else None


def stored(x: int | None, y: int | None) -> FocalPoint | None:
    """A focal point as two nullable columns keep it."""
    return None if x is None or y is None else FocalPoint(x=x, y=y)


def cover_focal_point(gallery, photo) -> FocalPoint:
    """Where to crop a gallery's cover (or the photo shown in its place): the organizer's
    point when the photo is the cover they set it for, else the photo's own, else the centre."""
    if photo.pk is not None and photo.pk == gallery.cover_id:
        chosen = stored(gallery.cover_focal_x, gallery.cover_focal_y)
        if chosen is not None:
            return chosen
    return stored(photo.focal_x, photo.focal_y) or CENTRE


def visible_region(*, width: int, height: int, frame_aspect: float, focal: FocalPoint) -> Region:
    """The part of a width × height photo that a frame of frame_aspect (width / height)
    shows with object-fit: cover at this focal point, as a browser draws it."""
    photo_aspect = width / height
    x = y = 0.0
    shown_x = shown_y = 1.0
    if photo_aspect > frame_aspect:  # wider than the frame: the sides are cut
        shown_x = frame_aspect / photo_aspect
        x = focal.x / 100 * (1 - shown_x)
    else:
        shown_y = photo_aspect / frame_aspect
        y = focal.y / 100 * (1 - shown_y)
    return Region(left=x, top=y, right=x + shown_x, bottom=y + shown_y)


def crop_box(*, width: int, height: int, frame_aspect: float, focal: FocalPoint) -> tuple[int, int, int, int]:
    """visible_region in pixels, as PIL's Image.crop takes it."""
    region = visible_region(width=width, height=height, frame_aspect=frame_aspect, focal=focal)
    left, top = round(region.left * width), round(region.top * height)
    right, bottom = round(region.right * width), round(region.bottom * height)
    return left, top, max(left + 1, min(width, right)), max(top + 1, min(height, bottom))
