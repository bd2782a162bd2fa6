"""The live slideshow's reads: the photos of a gallery that became ready after a cursor,
as the slides the projector's page shows, and the ETag that lets an unchanged gallery
answer a poll with 304.

- The cursor is the time (in microseconds since the epoch) the newest ready photo was
  processed: no sequential id of a private thing reaches a URL. It is opaque to the page,
  which only sends back what it was given.
- Photos are asked for from a little before the cursor (CURSOR_OVERLAP): the worker sets
  `processed_at` before its transaction commits, so a photo can become visible after one
  that was processed later. The page knows the photos it has by key and skips repeats.
- At most MAX_PHOTOS a response: the first load is the gallery's most recently
  processed photos, in display order; a page open for hours never holds more than that.
- The gallery's `updated_at` moves with every change of its photos (services.py), so
  it and the cursor name the answer: same gallery time and cursor, same photos. The
  slides' words (their alt text, its date) are in the request's language: the ETag names
  the language too, and the answer varies by what chooses it (eventgallery/languages.py),
  so a projector never keeps another language's slides.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Max, QuerySet

from galleries import files
from galleries.alt_text import photo_alt
from galleries.models import Gallery, Photo

MAX_PHOTOS = 500
CURSOR_OVERLAP = timedelta(seconds=30)


@dataclass(frozen=True)
class Slide:
    key: str
    src: str  # the display image
    srcset: str
    width: int  # of the display image
    height: int
    alt: str


@dataclass(frozen=True)
class SlidesSince:
    slides: list[Slide]
    cursor: str  # to send back as ?after=


def cursor_parse(value: str | None) -> datetime | None:
    """The time a cursor names, or None for none (or one that is not a cursor: the page
    then gets the whole list again, which is always right)."""
    if not value or not value.isdigit() or len(value) > 20:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _cursor(moment: datetime | None) -> str:
    if moment is None:
        return "0"
    return str(int(moment.timestamp() * 1_000_000))


def slides_etag(*, gallery: Gallery, after: str | None, language: str) -> str:
    """The ETag of the answer to ?after=`after` in `language`: it changes when the
    gallery's photos do, with the language, and with the settings that shape the slides
    (sizes, the storage's URLs)."""
    parts = (
        gallery.pk,
        gallery.updated_at.isoformat(),
        after or "",
        language,
        files.storage_is_local(),
        settings.PHOTO_MIDDLE_SIZE,
        settings.PHOTO_DISPLAY_SIZE,
    )
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def _slide(photo: Photo, gallery: Gallery) -> Slide:
    middle_width, _ = photo.scaled_size(settings.PHOTO_MIDDLE_SIZE)
    display_width, display_height = photo.scaled_size(settings.PHOTO_DISPLAY_SIZE)
    display = files.photo_url(photo, "display")
    # Photos processed before the middle size existed have none until it is made.
    middle = files.photo_url(photo, "middle") if photo.middle.name else ""
    return Slide(
        key=str(photo.key),
        src=display,
        srcset=files.srcset(((middle, middle_width), (display, display_width))),
        width=display_width,
        height=display_height,
        alt=photo_alt(gallery=gallery, guest_name=photo.guest_name),
    )


def slides_since(*, gallery: Gallery, photos: QuerySet[Photo], after: datetime | None) -> SlidesSince:
    """The slides of `photos` (the ready photos a visitor sees) processed since `after`
    (all of them without one), the most recent MAX_PHOTOS, in display order."""
    newest = photos.aggregate(newest=Max("processed_at"))["newest"]
    recent = photos.exclude(processed_at=None)
    if after is not None:
        recent = recent.filter(processed_at__gt=after - CURSOR_OVERLAP)
    chosen = recent.order_by("-processed_at", "-id").only(
        "gallery", "key", "width", "height", "display", "middle", "thumbnail", "original", "sort_at", "guest_name"
    )[:MAX_PHOTOS]
    ordered = sorted(chosen, key=lambda photo: (photo.sort_at, photo.pk))
    return SlidesSince(slides=[_slide(photo, gallery) for photo in ordered], cursor=_cursor(newest))
