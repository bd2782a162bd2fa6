"""The alternative text of a photo for a guest who does not see it: which gallery,
when, where the photo sits in it and, when its faces are indexed, how many people
it shows. Never just "Photo 3"."""

from __future__ import annotations

from django.utils.dateformat import format as date_format

from galleries.models import Gallery


def photo_alt(
    *,
    gallery: Gallery,
    number: int | None = None,
    total: int | None = None,
    people: int | None = None,
    guest_name: str = "",
) -> str:
    """ "Summer party, 27 November 2026: photo 3 of 120, 4 people, added by Ana". `people`
    is None when the gallery's faces are not indexed; nothing is said of 0 either, since a
    face turned away is not found. `guest_name`: the guest who added the photo, if named."""
    text = gallery.name
    if gallery.event_date:
        text += f", {date_format(gallery.event_date, 'j F Y')}"
    if number is not None:
        text += f": photo {number}" + (f" of {total}" if total else "")
    if people:
        text += f", {people} {'person' if people == 1 else 'people'}"
    if guest_name:
        text += f", added by {guest_name}"
    return text
