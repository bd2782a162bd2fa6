"""Addresses of photo files.

On S3 a page links signed, expiring URLs straight to the bucket, for minutes
(S3_SIGNED_URL_SECONDS): the one address that outlives a hide or a closing, briefly.
On local storage every file goes through `photo_file`, which checks the visitor's
access at every request: no photo of a private gallery is ever reachable at a
guessable public address, and none hidden or closed is served to a guest, nor kept
by a shared cache (its files are `private`).
"""

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath

from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header

KINDS = ("thumb", "middle", "display", "original")
# Other spellings of the extensions files are stored under: a download keeps the
# uploaded name's own spelling when it already names the format sent.
_SAME_FORMAT = {".jpg": (".jpeg", ".jpe"), ".tif": (".tiff",), ".heic": (".heif",)}


def storage_is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


_FIELD_OF_KIND = {"thumb": "thumbnail", "middle": "middle", "display": "display", "original": "original"}


def stored_name(photo, kind: str) -> str:
    return getattr(photo, _FIELD_OF_KIND[kind]).name


# The name a download of a derivative ends with: the size a download menu calls it
# (galleries/download_sizes.py), never the stored file's own name.
_DOWNLOAD_SUFFIX = {"display": "-large", "middle": "-web"}
# Characters no file name should carry: controls (a header cannot hold a line break) and
# the separators of paths.
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def download_name(photo, kind: str) -> str:
    """The name a download of the photo's file gets: the uploaded name, ending with the
    extension of the file actually sent (stored under its detected format), and the size
    for a smaller one. "IMG_1.png" that is a JPEG downloads as "IMG_1.jpg"; the large
    (display) image of "party.heic" as "party-large.jpg", its web image "party-web.jpg"."""
    uploaded = PurePath(_UNSAFE_IN_NAME.sub("_", photo.original_filename).strip())
    stem = uploaded.stem.strip() or "photo"
    sent_extension = PurePath(stored_name(photo, kind)).suffix.lower()
    if kind != "original":
        return f"{stem}{_DOWNLOAD_SUFFIX.get(kind, '-' + kind)}{sent_extension}"
    if uploaded.suffix.lower() in (sent_extension, *_SAME_FORMAT.get(sent_extension, ())):
        return f"{stem}{uploaded.suffix}"
    return f"{stem}{sent_extension}"


def file_version(name: str) -> str:
    """A short tag of a stored file's name, for the file's local address. A redrawn image
    (a new watermark, a face blurred at a guest's request) is stored under a new name
    (the storage never overwrites), so its address changes with it and no browser or
    shared cache goes on showing the old one for the day it may keep it."""
    return hashlib.blake2s(name.encode(), digest_size=4).hexdigest()


def photo_file_version(photo, kind: str) -> str:
    """file_version of the photo's file of `kind`. An original's also moves when the
    photo's faces are blurred (or no longer are): guests are then sent its blurred
    display image at the original's address."""
    name = stored_name(photo, kind)
    if kind == "original" and photo.faces_blurred:
        name += "|blurred"
    return file_version(name)


def versioned(url: str, photo, kind: str, *, download: bool = False) -> str:
    """The local address `url` of the photo's file of `kind`, with its version (and the
    download flag): the query every page gives it."""
    url = f"{url}?v={photo_file_version(photo, kind)}"
    return f"{url}&download=1" if download else url


def photo_view_url(photo, kind: str, *, download: bool = False) -> str:
    return versioned(reverse("galleries:photo_file", args=[photo.key, kind]), photo, kind, download=download)


def photo_url(photo, kind: str) -> str:
    """The address a page uses to show a photo file."""
    if storage_is_local():
        return photo_view_url(photo, kind)
    return default_storage.url(stored_name(photo, kind))


def addresses_refresh_seconds() -> int:
    """How often a page that keeps photo addresses for long (the slideshow) asks for them
    again: at half their life on S3, where they expire in minutes; every half hour on
    local storage, where they do not."""
    if storage_is_local():
        return 1800
    return max(30, default_storage.querystring_expire // 2)


def signed_url(photo, kind: str, *, download: bool = False) -> str:
    parameters = {}
    if download:
        parameters["ResponseContentDisposition"] = content_disposition_header(
            as_attachment=True, filename=download_name(photo, kind)
        )
    return default_storage.url(stored_name(photo, kind), parameters=parameters or None)


def srcset(candidates) -> str:
    """A `srcset` of (url, width) pairs, smallest first. A width may be given once only:
    of the derivatives a small photo has at the same size, the larger kind is kept
    (the display image, which the photo page and viewer load too)."""
    chosen: dict[int, str] = {}
    for url, width in candidates:
        if url:
            chosen[width] = url
    return ", ".join(f"{url} {width}w" for width, url in sorted(chosen.items()))


# Read a remote file in pieces of this size: big enough that the requests' overhead
# vanishes, small enough that many downloads at once hold little.
CHUNK_BYTES = 1024 * 1024
# A local file in pieces of this size: a piece still in the CPU's cache when it is
# checksummed for a ZIP and sent on. With 1 MB pieces a 2,000-photo ZIP ran at 0.80
# of a plain read of its files, with 256 KB at 0.90 (bench/README.md, ZIP download).
LOCAL_CHUNK_BYTES = 256 * 1024


def _s3_key(name: str) -> str:
    location = default_storage.location.strip("/")
    return f"{location}/{name}" if location else name


def stored_sizes(names: Iterable[str]) -> dict[str, int]:
    """The size of each stored file of `names` that exists, by name. On S3, from a
    listing of the folders they are in (a request per thousand files, instead of one
    per file); names of galleries/<id>/<key>/<kind>.<ext> share their gallery's folder."""
    names = list(names)
    if storage_is_local():
        sizes = {}
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                sizes[name] = default_storage.size(name)
        return sizes
    by_key = {_s3_key(name): name for name in names}
    folders = {key.rsplit("/", 2)[0] + "/" if key.count("/") >= 2 else key for key in by_key}
    sizes = {}
    for folder in sorted(folders):
        for summary in default_storage.bucket.objects.filter(Prefix=folder):
            if summary.key in by_key:
                sizes[by_key[summary.key]] = summary.size
    return sizes


def stored_chunks(name: str) -> Iterator[bytes]:
    """The stored file's bytes, a piece at a time, read only as they are asked for:
    never the whole file in memory (django-storages' S3 file would download it all
    into memory on its first read)."""
    if storage_is_local():
        # Unbuffered: each read goes straight into the piece it returns.
        with open(default_storage.path(name), "rb", buffering=0) as fh:
            while chunk := fh.read(LOCAL_CHUNK_BYTES):
                yield chunk
        return
    body = default_storage.bucket.Object(_s3_key(name)).get()["Body"]
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
