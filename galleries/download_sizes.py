"""The sizes a visitor chooses among when they download: one photo, Download all, the
photos Find me found, their favourites.

- Three sizes, each a stored file of the photo: "original" (the file as uploaded),
  "large" (the display image, PHOTO_DISPLAY_SIZE px on its long side, what the viewer
  shows) and "web" (the middle image, PHOTO_MIDDLE_SIZE px). A photo processed before
  the middle image existed, and not yet given one, gives its display image at web size.
- Which sizes: those who manage a gallery, all three; a guest, what the gallery's
  download policy allows (galleries/access.py): the originals policy all three, the
  display policy large and web, none of them when downloads are off. A size the policy
  does not allow is neither offered nor served.
- Without a choice (`?size=` absent, as every link made before sizes existed) a
  download is what it was: the largest size allowed.
- The access rules apply to every size as they did: a guest's original of a photo whose
  faces were blurred is its blurred display image (access.kind_served); the watermark is
  in the large and web images and never in the originals.
- Sizes in bytes are found without reading a file: the originals' from the database
  (Photo.file_size), the large and web images' from the storage's listing (a stat per file on
  local disk, a listing per thousand files on S3), once for each change of the gallery
  (kept in the cache under its `updated_at`, which moves with every change of its
  photos). Every download menu (the gallery's, Find me's and its tiles', favourites',
  one photo's page and the viewer's) reads that one table.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from galleries import access, files
from galleries.models import Gallery, Photo
from galleries.photo_info import megabytes

SIZES = ("original", "large", "web")
# The stored file behind each size (galleries/files.py's kinds).
KIND_OF_SIZE = {"original": "original", "large": "display", "web": "middle"}
SIZE_OF_KIND = {kind: size for size, kind in KIND_OF_SIZE.items()}
# The download routes' query parameter.
SIZE_PARAMETER = "size"

LABELS = {"original": _("Original"), "large": _("Large"), "web": _("Web")}

# A ZIP adds about this much to each file: its local header, its entry in the central
# directory (with the name twice) and its data descriptor.
_ZIP_BYTES_PER_FILE = 150


class SizeRefused(Exception):
    """A size asked for that is not served; str() says why, for the visitor."""

    status = 400


class SizeUnknown(SizeRefused):
    status = 400


class SizeForbidden(SizeRefused):
    status = 403


def sizes_allowed(user, gallery: Gallery) -> tuple[str, ...]:
    """The sizes `user` may download from a gallery they may see, largest first."""
    kind = access.download_kind(user, gallery)
    if kind == "original":
        return SIZES
    if kind == "display":
        return ("large", "web")
    return ()


def size_chosen(user, gallery: Gallery, asked: str | None) -> str:
    """The size to send for a request asking for `asked` (None or "": no choice made,
    the largest allowed). Raises SizeUnknown for a name that is no size, SizeForbidden
    for a size this visitor may not have; the caller has checked downloads are on."""
    allowed = sizes_allowed(user, gallery)
    if not asked:
        return allowed[0]
    if asked not in SIZES:
        raise SizeUnknown(_("There is no download size called “%(size)s”.") % {"size": asked[:40]})
    if asked not in allowed:
        raise SizeForbidden(_("The organizer of this gallery does not offer downloads at this size."))
    return asked


def kind_sent(photo: Photo, size: str, *, guest: bool) -> str:
    """The kind of stored file a download of `photo` at `size` sends."""
    return _kind_sent(size, guest=guest, blurred=photo.faces_blurred, has_middle=bool(photo.middle.name))


def _kind_sent(size: str, *, guest: bool, blurred: bool, has_middle: bool) -> str:
    kind = KIND_OF_SIZE[size]
    if kind == "original" and guest and blurred:
        return "display"
    if kind == "middle" and not has_middle:
        return "display"
    return kind


@dataclass(frozen=True)
class _StoredBytes:
    original: int
    middle: int | None  # None: the photo has no middle image
    display: int
    blurred: bool

    def sent(self, size: str, *, guest: bool) -> int:
        kind = _kind_sent(size, guest=guest, blurred=self.blurred, has_middle=self.middle is not None)
        return getattr(self, kind) or 0


def _stored_bytes(gallery: Gallery) -> dict[int, _StoredBytes]:
    """The bytes of each file of each photo of the gallery that guests may see (every
    download is of some of them), by photo id, made once for each change of the gallery
    so that a menu needs no photo but their ids: from the sizes the rows recorded, the
    storage asked only for those of photos processed before they were recorded."""
    key = f"download-sizes:{gallery.pk}:{gallery.updated_at.isoformat()}"
    table = cache.get(key)
    if table is None:
        rows = list(
            gallery.photos.guest_visible().values_list(
                "pk", "file_size", "middle", "middle_bytes", "display", "display_bytes", "faces_blurred"
            )
        )
        not_recorded = [(row[2], row[3]) for row in rows] + [(row[4], row[5]) for row in rows]
        stored = files.stored_sizes(name for name, recorded in not_recorded if name and recorded is None)

        def size_of(name: str, recorded: int | None) -> int:
            return recorded if recorded is not None else stored.get(name, 0)

        table = {
            pk: _StoredBytes(
                original=size,
                middle=size_of(middle, middle_bytes) if middle else None,
                display=size_of(display, display_bytes),
                blurred=blurred,
            )
            for pk, size, middle, middle_bytes, display, display_bytes, blurred in rows
        }
        cache.set(key, table, settings.GALLERY_PAGE_CACHE_SECONDS)
    return table


def photos_bytes(*, gallery: Gallery, photo_ids: Iterable[int] | None, guest: bool) -> dict[str, int]:
    """The bytes of a ZIP of the photos of `photo_ids` (None: all that guests see) at
    each size, about (the ZIP's own bytes a file estimated): for menus, never for a
    Content-Length."""
    table = _stored_bytes(gallery)
    photos = list(table.values()) if photo_ids is None else [table[pk] for pk in photo_ids if pk in table]
    return {size: sum(photo.sent(size, guest=guest) + _ZIP_BYTES_PER_FILE for photo in photos) for size in SIZES}


@dataclass(frozen=True)
class SizeOption:
    """One line of a download menu."""

    size: str
    label: str
    bytes: int
    url: str
    long_side: int | None  # px; None for the original

    @property
    def megabytes(self) -> float:
        """The bytes in MB, as a menu shows them (photo_info.megabytes)."""
        return megabytes(self.bytes)


def _long_side(size: str) -> int | None:
    return {"large": settings.PHOTO_DISPLAY_SIZE, "web": settings.PHOTO_MIDDLE_SIZE}.get(size)


def zip_menu(user, *, gallery: Gallery, photos: Iterable[Photo] | None, url: str) -> list[SizeOption]:
    """The sizes `user` may choose for a ZIP of `photos` (None: every photo guests see)
    from the route at `url` (which may hold a query already), with their bytes; empty
    when downloads are off for them."""
    allowed = sizes_allowed(user, gallery)
    if not allowed:
        return []
    photo_ids = None if photos is None else [photo.pk for photo in photos]
    guest = not access.can_manage_gallery(user, gallery)
    totals = photos_bytes(gallery=gallery, photo_ids=photo_ids, guest=guest)
    joiner = "&" if "?" in url else "?"
    return [
        SizeOption(
            size=size,
            label=str(LABELS[size]),
            bytes=totals[size],
            url=f"{url}{joiner}{SIZE_PARAMETER}={size}",
            long_side=_long_side(size),
        )
        for size in allowed
    ]


def photo_menu(user, *, gallery: Gallery, photo: Photo) -> list[SizeOption]:
    """The sizes `user` may download one photo (that they may see) at: links to the
    photo's files (galleries:photo_file) at each, with their bytes."""
    allowed = sizes_allowed(user, gallery)
    if not allowed:
        return []
    guest = not access.can_manage_gallery(user, gallery)
    stored = _stored_bytes(gallery).get(photo.pk)
    options, kinds_offered = [], set()
    for size in allowed:
        kind = kind_sent(photo, size, guest=guest)
        # A guest's original of a blurred photo is its display image, and so is the web
        # size of a photo without a middle image: offered once, as the large size.
        if (size == "original" and kind != "original") or kind in kinds_offered:
            continue
        kinds_offered.add(kind)
        options.append(
            SizeOption(
                size=size,
                label=str(LABELS[size]),
                bytes=stored.sent(size, guest=guest) if stored else 0,
                url=files.photo_view_url(photo, kind, download=True),
                long_side=_long_side(size),
            )
        )
    return options
