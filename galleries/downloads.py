"""Many photos in one ZIP download: a whole gallery, or the photos Find me found.

- The archive is made as it is sent: each file is read from storage (local disk or
  S3) a piece at a time while the previous pieces go out, so memory stays flat
  whatever the number of photos, and no copy of the archive is ever written.
- Files are stored, not compressed (JPEGs do not get smaller), so the archive's size
  is known before its first byte: the response has a Content-Length and browsers
  show progress.
- Names inside the archive are the photos' uploaded names, ending with the extension of
  the file sent (an original keeps its name as files.download_name gives it; a large or
  web image of "party.heic" is "party.jpg"), unique whatever the case: a second
  "IMG_0001.jpg" becomes "IMG_0001 (2).jpg".
- Every byte is checksummed (CRC-32, which the ZIP format requires) with ISA-L's
  CRC rather than zlib's, ten times faster, so the archive costs little more CPU
  than reading its files.
- Which photos and which kind of file a visitor may have is the caller's business
  (galleries/access.py, galleries/download_sizes.py): `photos_zip` zips what it is given,
  and `gallery_zip_response` is what the three ZIP routes (Download all, Find me's "my
  photos", my favourites) do for a visitor once they have chosen the photos: the size
  asked (`?size=original|large|web`) if the gallery's policy gives it to them.
"""

from collections.abc import Iterable
from pathlib import PurePath

import zipstream.ng
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from isal import isal_zlib
from zipstream import ZIP_STORED, ZipStream

from galleries import access, download_sizes, files, stats
from galleries.models import Gallery, Photo
from ops import ratelimits

# zipstream-ng checksums every byte it sends with zlib's crc32, at 2-3 GB/s: three
# quarters of the CPU time of a ZIP. ISA-L's CRC-32 is the same function at ~25 GB/s
# (bench/README.md, ZIP download). The archive tests check every file's CRC; should
# zipstream-ng stop looking crc32 up in its module, this fails at import, not silently.
if not hasattr(zipstream.ng, "crc32"):
    raise ImportError("zipstream-ng no longer calls zipstream.ng.crc32: see galleries/downloads.py")
zipstream.ng.crc32 = isal_zlib.crc32


def _unique_name(name: str, taken: set[str]) -> str:
    # Flat: a backslash in an uploaded name ("a\\b.jpg") would be a folder in the archive.
    name = name.replace("\\", "_").replace("/", "_")
    candidate, number = name, 1
    path = PurePath(name)
    while candidate.lower() in taken:
        number += 1
        candidate = f"{path.stem} ({number}){path.suffix}"
    taken.add(candidate.lower())
    return candidate


def _archive_name(photo: Photo, kind: str) -> str:
    if kind == "original":
        return files.download_name(photo, kind)
    uploaded = PurePath(photo.original_filename)
    return f"{uploaded.stem or 'photo'}{PurePath(files.stored_name(photo, kind)).suffix.lower()}"


def photos_zip(*, photos: Iterable[Photo], kind: str, blurred_as_display: bool = False) -> ZipStream:
    """A ZIP of the photos' files of `kind` ("original", "display" or "middle"), in the
    order given, ready to be iterated as the response's body; len() is its size in bytes.
    A photo whose file is missing from storage is left out; one without a middle image
    gives its display image. With `blurred_as_display` (a guest's archive), a photo whose
    faces were blurred gives its display image instead of its original."""
    if kind not in download_sizes.SIZE_OF_KIND:
        raise ValueError(f"Not a kind of file to download: {kind!r}")
    size = download_sizes.SIZE_OF_KIND[kind]
    photos = list(photos)
    kinds = {photo.pk: download_sizes.kind_sent(photo, size, guest=blurred_as_display) for photo in photos}
    names = {photo.pk: files.stored_name(photo, kinds[photo.pk]) for photo in photos}
    sizes = files.stored_sizes(name for name in names.values() if name)
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    taken: set[str] = set()
    for photo in photos:
        name = names[photo.pk]
        if name not in sizes:
            continue
        arcname = _unique_name(_archive_name(photo, kinds[photo.pk]), taken)
        # A generator: the file is opened only when the archive gets to it.
        archive.add(files.stored_chunks(name), arcname, size=sizes[name])
    return archive


def zip_response(archive: ZipStream, *, filename: str) -> StreamingHttpResponse:
    """The archive as a download: streamed, its size known, kept by no cache on the way
    (it is of one visitor's access)."""
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def size_refused_response(exc: download_sizes.SizeRefused) -> HttpResponse:
    """The answer to a download asked at a size that is not served: why, in a sentence."""
    response = HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    # The message repeats what was asked: never read as anything but text.
    response["X-Content-Type-Options"] = "nosniff"
    return response


def gallery_zip_response(request, *, gallery: Gallery, photos: list[Photo], what: str, filename: str) -> HttpResponse:
    """The ZIP of `photos` for this visitor (who may download from the gallery: the
    caller checked), at the size of the request's `?size=` (download_sizes.py; 400 for
    no such size, 403 for one the gallery's policy keeps from them). A guest's counts
    against the ZIP limits of their device and address (over them: a page that asks them
    to wait, 429), gives a photo with blurred faces as its display image, and is counted
    in the gallery's downloads (`what`: a GalleryDownload.What); the gallery's managers
    get the files as they are, unlimited and uncounted."""
    try:
        size = download_sizes.size_chosen(request.user, gallery, request.GET.get(download_sizes.SIZE_PARAMETER))
    except download_sizes.SizeRefused as exc:
        return size_refused_response(exc)
    kind = download_sizes.KIND_OF_SIZE[size]
    if size != "original":
        stem = filename.removesuffix(".zip")
        filename = f"{stem}-{size}.zip"
    if access.can_manage_gallery(request.user, gallery):
        return zip_response(photos_zip(photos=photos, kind=kind), filename=filename)
    window = settings.ZIP_DOWNLOAD_WINDOW_S
    device, address = f"cookie:{ratelimits.device_id(request)}", ratelimits.client_ip(request)
    decision = ratelimits.limits_hit(
        ratelimits.Limit("zip-download-device", device, settings.ZIP_DOWNLOADS_PER_DEVICE, window),
        ratelimits.Limit("zip-download-address", address, settings.ZIP_DOWNLOADS_PER_ADDRESS, window),
    )
    if not decision.allowed:
        response = render(
            request,
            "galleries/download_limited.html",
            {"gallery": gallery, "minutes": max(1, round(decision.retry_after_s / 60))},
            status=429,
        )
        response["Retry-After"] = str(decision.retry_after_s)
        response["Cache-Control"] = "private, no-store"
        return response
    archive = photos_zip(photos=photos, kind=kind, blurred_as_display=True)
    stats.gallery_download_record(gallery=gallery, what=what, photo_count=len(photos))
    return zip_response(archive, filename=filename)
