"""The alternative text of a photo for a guest who does not see it: which gallery,
when, where the photo sits in it and, when its faces are indexed, how many people
it shows. Never just "Photo 3"."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from galleries.models import Gallery


def photo_alt(
    *,
    gallery: Gallery,
    number: int | None = None,
    total: int | None = None,
    people: int | None = None,
    guest_name: str = "",
) -> str:
    """ "Summer party, 27 November 2026: photo 3 of 120, 4 people, added by Ana", in the
    active language. `people` is None when the gallery's faces are not indexed; nothing
    is said of 0 either, since a face turned away is not found. `guest_name`: the guest
    who added the photo, if named."""
    text = gallery.name
    if gallery.event_date:
        text = gettext("%(gallery)s, %(date)s") % {"gallery": text, "date": date_format(gallery.event_date)}
    if number is not None and total:
        text = gettext("%(gallery)s: photo %(number)s of %(total)s") % {
            "gallery": text,
            "number": number,
            "total": total,
        }
    elif number is not None:
        text = gettext("%(gallery)s: photo %(number)s") % {"gallery": text, "number": number}
    if people:
        text = ngettext("%(text)s, %(count)s person", "%(text)s, %(count)s people", people) % {
            "text": text,
            "count": people,
        }
    if guest_name:
        text = gettext("%(text)s, added by %(name)s") % {"text": text, "name": guest_name}
    return text
