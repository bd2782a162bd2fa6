"""Favourites: the photos a guest hearts in a gallery, kept per device without accounts.

- A guest is a browser: the signed device cookie of ops.ratelimits.device_id, stored
  as a keyed hash (`guest_key`), never as the cookie's value. Clearing cookies starts
  a new, empty list; nothing else identifies a guest.
- A favourite is always of a photo of its own gallery (`Favourite.gallery` is the
  photo's), and a guest hearts a photo at most once (a unique constraint).
- Which photos a guest may heart (ready, of a gallery open to them) is the caller's
  business (galleries/access.py); these functions are given such a photo.
- A guest keeps at most FAVOURITES_PER_GALLERY favourites in a gallery: one more is
  refused (FavouriteLimitReached) and nothing is stored. Two hearts sent at the same
  instant may both pass the count: the cap may be passed by one, never by many.
- Setting a favourite is idempotent: hearting a hearted photo, or un-hearting one
  that is not, changes nothing, so a retried request is harmless.
- A guest's name is optional, one per guest per gallery; an empty name removes it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from favourites.models import Favourite, GuestName
from galleries.models import Gallery, Photo

GUEST_NAME_MAX_LENGTH = GuestName._meta.get_field("name").max_length


class FavouriteLimitReached(Exception):
    """The guest has as many favourites in the gallery as they may keep."""


def guest_key(*, device: str) -> str:
    """The guest a device cookie stands for, as stored: a keyed hash of it."""
    return salted_hmac("favourites.guest", device).hexdigest()[:32]


def favourite_set(*, gallery: Gallery, photo: Photo, guest: str, favourite: bool) -> bool:
    """Hearts (favourite=True) or un-hearts the photo for the guest; returns whether it
    is now a favourite. Raises ValueError for a photo of another gallery and
    FavouriteLimitReached at the cap, storing nothing either way."""
    if photo.gallery_id != gallery.pk:
        raise ValueError("The photo is not of this gallery.")
    mine = Favourite.objects.of_guest(gallery, guest)
    if not favourite:
        mine.filter(photo=photo).delete()
        return False
    if mine.filter(photo=photo).exists():
        return True
    if mine.count() >= settings.FAVOURITES_PER_GALLERY:
        limit = settings.FAVOURITES_PER_GALLERY
        raise FavouriteLimitReached(
            ngettext(
                "You can keep %(count)s favourite in this gallery. Remove it to add another.",
                "You can keep %(count)s favourites in this gallery. Remove one to add another.",
                limit,
            )
            % {"count": limit}
        )
    try:
        with transaction.atomic():
            Favourite.objects.create(gallery=gallery, photo=photo, guest=guest)
    except IntegrityError:  # the same heart, sent twice at once: it is there
        pass
    return True


def guest_name(*, gallery: Gallery, guest: str) -> str:
    return GuestName.objects.filter(gallery=gallery, guest=guest).values_list("name", flat=True).first() or ""


def guest_name_set(*, gallery: Gallery, guest: str, name: str) -> str:
    """Gives the guest a name in the gallery (spaces around it dropped), or removes it
    when empty. Returns the name kept."""
    name = " ".join(name.split())[:GUEST_NAME_MAX_LENGTH]
    if not name:
        GuestName.objects.filter(gallery=gallery, guest=guest).delete()
        return ""
    GuestName.objects.update_or_create(gallery=gallery, guest=guest, defaults={"name": name})
    return name


# --- For the organizer ---------------------------------------------------------------------


@dataclass(frozen=True)
class FavouriteRow:
    file_name: str
    guest_name: str
    guest: str  # a short stand-in for a guest without a name: "Guest 3"
    favourited_at: str


def gallery_favourite_rows(*, gallery: Gallery) -> list[FavouriteRow]:
    """Every favourite of the gallery, by file name then guest: guests without a name
    are numbered in the order they first hearted a photo."""
    names = dict(GuestName.objects.filter(gallery=gallery).values_list("guest", "name"))
    favourites = (
        Favourite.objects.filter(gallery=gallery)
        .order_by("created_at", "id")
        .values_list("guest", "photo__original_filename", "created_at")
    )
    numbers: dict[str, int] = {}
    rows = []
    for guest, file_name, created_at in favourites:
        number = numbers.setdefault(guest, len(numbers) + 1)
        rows.append(FavouriteRow(file_name, names.get(guest, ""), f"Guest {number}", created_at.isoformat()))
    return sorted(rows, key=lambda row: (row.file_name.lower(), row.guest_name.lower(), row.guest))


def gallery_favourites_csv(*, gallery: Gallery) -> str:
    """A CSV of the gallery's favourites, one row per heart: the original file name,
    the guest's name when they gave one, a stand-in for the guest, and when."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file_name", "guest_name", "guest", "favourited_at"])
    for row in gallery_favourite_rows(gallery=gallery):
        writer.writerow([_cell(row.file_name), _cell(row.guest_name), row.guest, row.favourited_at])
    return out.getvalue()


def gallery_favourites_lightroom(*, gallery: Gallery) -> str:
    """The hearted photos' file names without their extension, once each, on one line
    separated by commas: pasted into Lightroom's Library filter (Text, Filename,
    Contains) it shows those photos, their raw files and JPEGs alike."""
    stems = sorted({PurePath(row.file_name).stem for row in gallery_favourite_rows(gallery=gallery)}, key=str.lower)
    return ", ".join(stems)


def _cell(value: str) -> str:
    # A guest's name is theirs to choose: never a formula when the CSV opens in a spreadsheet.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
