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
  photos). Every download menu (the gallery's, Find me's, favourites', one photo's)
  reads that one table.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from galleries import access, files
from galleries.models import Gallery, Photo

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
    kind = KIND_OF_SIZE[size]
    if kind == "original" and guest and photo.faces_blurred:
        return "display"
    if kind == "middle" and not photo.middle.name:
        return "display"
    return kind


Table = dict[int, tuple[int, int | None, int | None]]


def _stored_bytes(gallery: Gallery) -> Table:
    """(original, middle, display) bytes of each ready photo of the gallery, by photo id
    (None for a derivative it lacks): asked of the storage once for each change of the
    gallery, so that a menu needs only the photos' ids and file names."""
    key = f"download-sizes:{gallery.pk}:{gallery.updated_at.isoformat()}"
    table = cache.get(key)
    if table is None:
        rows = list(gallery.photos.ready().values_list("pk", "file_size", "middle", "display"))
        stored = files.stored_sizes(name for *_, middle, display in rows for name in (middle, display) if name)
        table = {pk: (size, stored.get(middle), stored.get(display)) for pk, size, middle, display in rows}
        cache.set(key, table, settings.GALLERY_PAGE_CACHE_SECONDS)
    return table


def photo_bytes(photo: Photo, kind: str, table: Table) -> int:
    original, middle, display = table.get(photo.pk, (0, None, None))
    return {"original": original, "middle": middle, "display": display}[kind] or 0


def photos_bytes(*, gallery: Gallery, photos: Iterable[Photo], guest: bool) -> dict[str, int]:
    """The bytes of a ZIP of `photos` at each size, about (the ZIP's own few bytes a
    file estimated): for the menus, never for a Content-Length."""
    table = _stored_bytes(gallery)
    photos = list(photos)
    totals = {}
    for size in SIZES:
        total = 0
        for photo in photos:
            total += photo_bytes(photo, kind_sent(photo, size, guest=guest), table) + _ZIP_BYTES_PER_FILE
        totals[size] = total
    return totals


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
        """The bytes in MB (10^6, as phones and browsers count them), as a menu shows
        them: whole from 10 MB, else to a tenth, and never 0."""
        megabytes = self.bytes / 1_000_000
        return round(megabytes) if megabytes >= 10 else max(0.1, round(megabytes, 1))


def _long_side(size: str) -> int | None:
    return {"large": settings.PHOTO_DISPLAY_SIZE, "web": settings.PHOTO_MIDDLE_SIZE}.get(size)


def zip_menu(user, *, gallery: Gallery, photos: Iterable[Photo], url: str) -> list[SizeOption]:
    """The sizes `user` may choose for a ZIP of `photos` from the route at `url` (which
    may hold a query already), with their bytes; empty when downloads are off for them."""
    allowed = sizes_allowed(user, gallery)
    if not allowed:
        return []
    totals = photos_bytes(gallery=gallery, photos=photos, guest=not access.can_manage_gallery(user, gallery))
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
    table = _stored_bytes(gallery)
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
                bytes=photo_bytes(photo, kind, table),
                url=files.photo_view_url(photo, kind, download=True),
                long_side=_long_side(size),
            )
        )
    return options
