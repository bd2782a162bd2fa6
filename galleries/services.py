"""What organizers, operators and the worker do to galleries and photos.

Storage and database stay consistent: a file is stored before its row exists
and removed if the row cannot be written; files are deleted only after the
transaction that deleted their rows has committed.

Whatever changes the photos a gallery shows also moves the gallery's `updated_at`
(galleries_touch), in the same transaction or after it, never before: the gallery
page is cached under that time, so a request that reads the new time must find
the new photos.
"""

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify

from faces import services as faces_services
from galleries.imaging import ImageInfo, ImageRejected, inspect_image, make_derivatives
from galleries.models import Gallery, Photo
from ops import ratelimits

logger = logging.getLogger(__name__)

FORMAT_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "HEIF": "heic",
    "GIF": "gif",
    "TIFF": "tif",
}


class PhotoUploadError(Exception):
    """A file that did not become a photo; str(exc) is meant for people."""


class PhotoRejected(PhotoUploadError):
    """The file itself is the problem: not an image, damaged, too large."""


class DuplicatePhoto(PhotoUploadError):
    def __init__(self, existing: Photo):
        self.existing = existing
        super().__init__(f"Already in this gallery (as {existing.original_filename}).")


class StorageUnavailable(PhotoUploadError):
    """Storing the file failed; nothing was saved and the upload can be retried."""


def photo_storage_name(*, gallery_id: int, key: uuid.UUID, kind: str, extension: str) -> str:
    """Object keys are made here, never from a user's file name: two guests'
    IMG_0001.jpg must not overwrite each other."""
    return f"galleries/{gallery_id}/{key}/{kind}.{extension}"


def _sha256_and_size(upload: File) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def files_delete(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The rows are gone already; a leftover object is logged for the operator.
            logger.exception("Could not delete %s from storage", name)


def files_delete_on_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(partial(files_delete, names))


def upload_hash_and_size(*, upload: File) -> tuple[str, int]:
    """The SHA-256 and size of an uploaded file; raises PhotoRejected for an empty or
    oversized one."""
    content_hash, size = _sha256_and_size(upload)
    if size == 0:
        raise PhotoRejected("The file is empty.")
    max_bytes = settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024
    if size > max_bytes:
        raise PhotoRejected(f"The file is {size / 1024 / 1024:.0f} MB; the limit is {settings.PHOTO_MAX_UPLOAD_MB} MB.")
    return content_hash, size


def upload_inspect(*, upload: File) -> ImageInfo:
    """What the image is; raises PhotoRejected for a file that cannot become a photo."""
    try:
        return inspect_image(upload)
    except ImageRejected as exc:
        raise PhotoRejected(str(exc)) from exc


def upload_filename(filename: str) -> str:
    """The name an upload is shown under: its last path part, without the NUL
    characters that PostgreSQL cannot store. Never used as a storage key."""
    return Path(filename.replace("\x00", "")).name[:255] or "photo"


def upload_store(*, upload: File, name: str, filename: str) -> str:
    """Stores the upload under `name` (made by the application) and returns the name
    the storage gave it; raises StorageUnavailable, leaving nothing behind."""
    upload.seek(0)
    try:
        return default_storage.save(name, upload)
    except Exception as exc:
        logger.exception("Could not store %s as %s", filename, name)
        files_delete([name])  # a partly written local file, if any
        raise StorageUnavailable("The file could not be stored (storage unavailable); nothing was saved.") from exc


def photo_create(*, gallery: Gallery, upload: File, filename: str) -> Photo:
    """Validates and stores one uploaded original and queues its processing.

    Raises PhotoUploadError (with a message for people) and leaves nothing behind.
    """
    filename = upload_filename(filename)
    content_hash, size = upload_hash_and_size(upload=upload)
    existing = gallery.photos.filter(content_hash=content_hash).first()
    if existing:
        raise DuplicatePhoto(existing)
    info = upload_inspect(upload=upload)

    key = uuid.uuid4()
    name = photo_storage_name(
        gallery_id=gallery.pk, key=key, kind="original", extension=FORMAT_EXTENSIONS.get(info.format, "bin")
    )
    stored_name = upload_store(upload=upload, name=name, filename=filename)

    taken_at = info.taken_at
    if taken_at is not None and timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    photo = Photo(
        gallery=gallery,
        key=key,
        original=stored_name,
        original_filename=filename,
        content_hash=content_hash,
        file_size=size,
        format=info.format,
        width=info.width,
        height=info.height,
        taken_at=taken_at,
        camera_make=info.camera_make[:100],
        camera_model=info.camera_model[:100],
        sort_at=taken_at or timezone.now(),
    )
    try:
        with transaction.atomic():
            photo.save()
            transaction.on_commit(partial(enqueue_photo_processing, photo_id=photo.pk))
    except IntegrityError as exc:
        files_delete([stored_name])
        existing = gallery.photos.filter(content_hash=content_hash).first()
        if existing:  # the same file uploaded twice at the same moment
            raise DuplicatePhoto(existing) from exc
        raise
    except BaseException:
        files_delete([stored_name])
        raise
    return photo


def enqueue_photo_processing(*, photo_id: int) -> None:
    from galleries.tasks import process_photo

    process_photo.enqueue(photo_id=photo_id)


def _mark_failed(photo: Photo, reason: str) -> None:
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.FAILED, error=reason, processed_at=timezone.now())


def photo_process(*, photo_id: int) -> Photo | None:
    """Makes the thumbnail and display derivatives of a photo (the worker's job).

    A photo that cannot be processed is marked failed with the reason and can be
    retried with photo_reprocess(). Returns None if the photo no longer exists.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return None
    with transaction.atomic():
        Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PROCESSING, error="")
        if photo.is_ready:  # processed again: it leaves the page until it is ready
            galleries_touch(gallery_ids=[photo.gallery_id])
    try:
        with photo.original.open("rb") as original:
            derivatives = make_derivatives(original)
    except ImageRejected as exc:
        _mark_failed(photo, str(exc))
        return None
    except Exception:
        logger.exception("Could not read the original of photo %s", photo.pk)
        _mark_failed(photo, "The original could not be read from storage; retry later.")
        return None

    stored = {}
    try:
        for derivative in derivatives:
            name = photo_storage_name(
                gallery_id=photo.gallery_id, key=photo.key, kind=derivative.kind, extension=derivative.extension
            )
            stored[derivative.kind] = default_storage.save(name, ContentFile(derivative.content))
    except Exception:
        logger.exception("Could not store the derivatives of photo %s", photo.pk)
        files_delete(stored.values())
        _mark_failed(photo, "The thumbnails could not be stored (storage unavailable); retry later.")
        return None

    with transaction.atomic():
        updated = Photo.objects.filter(pk=photo.pk).update(
            thumbnail=stored["thumb"],
            display=stored["display"],
            status=Photo.Status.READY,
            error="",
            processed_at=timezone.now(),
        )
        if updated:
            galleries_touch(gallery_ids=[photo.gallery_id])
    if not updated:  # deleted while we worked
        files_delete(stored.values())
        return None
    files_delete({photo.thumbnail.name, photo.display.name} - {"", *stored.values()})
    photo.refresh_from_db()
    faces_services.photo_faces_queue(photo=photo)
    return photo


def photo_reprocess(*, photos: Iterable[Photo]) -> int:
    count = 0
    gallery_ids = set()
    for photo in photos:
        Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PENDING, error="")
        transaction.on_commit(partial(enqueue_photo_processing, photo_id=photo.pk))
        gallery_ids.add(photo.gallery_id)
        count += 1
    galleries_touch(gallery_ids=gallery_ids)
    return count


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    names = photo.stored_names
    faces_services.photos_faces_forget(photo_ids=[photo.pk])
    photo.delete()
    galleries_touch(gallery_ids=[photo.gallery_id])
    files_delete_on_commit(names)


@transaction.atomic
def photos_delete(*, photos: Iterable[Photo]) -> int:
    photos = list(photos)
    names = [name for photo in photos for name in photo.stored_names]
    faces_services.photos_faces_forget(photo_ids=[photo.pk for photo in photos])
    Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
    galleries_touch(gallery_ids={photo.gallery_id for photo in photos})
    files_delete_on_commit(names)
    return len(photos)


def gallery_create(
    *,
    owner,
    name: str,
    slug: str = "",
    description: str = "",
    event_date=None,
    visibility: str = Gallery.Visibility.PUBLIC,
    access_code: str = "",
    is_published: bool = False,
) -> Gallery:
    """A new gallery (a draft unless told otherwise). Without a slug, one is made from
    the name; a slug that is taken gets a suffix (an error would tell the caller that
    someone else's gallery is there). Raises django.core.exceptions.ValidationError
    with the fields at fault."""
    gallery = Gallery(
        owner=owner,
        name=name,
        slug=gallery_free_slug(slug or slugify(name)[:80].strip("-") or "gallery"),
        description=description,
        event_date=event_date,
        visibility=visibility,
        access_code=access_code,
        is_published=is_published,
    )
    gallery.full_clean()
    for attempt in range(3):
        try:
            with transaction.atomic():
                gallery.save()
            return gallery
        except IntegrityError:  # the same slug taken at the same moment
            if attempt == 2:
                raise
            gallery.slug = gallery_free_slug(gallery.slug)


SLUG_MAX_LENGTH = Gallery._meta.get_field("slug").max_length


def gallery_free_slug(slug: str, *, exclude: Gallery | None = None) -> str:
    """`slug` if no other gallery has it, else `slug` with a random suffix that none has."""
    others = Gallery.objects.all()
    if exclude is not None and exclude.pk is not None:
        others = others.exclude(pk=exclude.pk)
    base = slug[: SLUG_MAX_LENGTH - 7].rstrip("-") or "gallery"
    while others.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def gallery_delete(*, gallery: Gallery) -> None:
    faces_services.gallery_faces_forget(gallery=gallery)
    names = [
        name for fields in gallery.photos.values_list("original", "thumbnail", "display") for name in fields if name
    ]
    gallery.delete()
    files_delete_on_commit(names)


def galleries_touch(*, gallery_ids: Iterable[int]) -> None:
    """Records that the photos these galleries show have changed. Gallery edits
    move `updated_at` by themselves (auto_now); this is for the photos."""
    gallery_ids = set(gallery_ids)
    if gallery_ids:
        Gallery.objects.filter(pk__in=gallery_ids).update(updated_at=timezone.now())


def gallery_set_cover(*, gallery: Gallery, photo: Photo) -> None:
    if photo.gallery_id != gallery.pk:
        raise ValueError("The cover must be a photo of the same gallery.")
    gallery.cover = photo
    gallery.save(update_fields=["cover", "updated_at"])


# --- Access codes -------------------------------------------------------------------
# A code is compared without regard to case or surrounding spaces. Wrong codes are
# limited per device, per address and per gallery (ops/ratelimits.py); a right one does
# not count, so a wedding's guests typing it never use up the gallery's limit, while a
# guess spread over many devices and addresses still meets it.

SESSION_ACCESS_KEY = "gallery_access"
# Lowercase letters and digits without look-alikes (0 o, 1 l i): 31^8, about 10^12 codes.
ACCESS_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ACCESS_CODE_LENGTH = 8


def access_code_generate() -> str:
    """A random code that is easy to read out and type on a phone."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def access_code_attempt(*, gallery: Gallery, device: str, address: str) -> ratelimits.Decision:
    """Counts a try of the gallery's code by this device from this address; refused
    when the device, the address or the gallery has had too many wrong codes in
    ACCESS_CODE_WINDOW_S. Hand it back (Decision.refund) when the code was right."""
    window = settings.ACCESS_CODE_WINDOW_S
    return ratelimits.limits_hit(
        ratelimits.Limit("access-code-device", device, settings.ACCESS_CODE_TRIES_PER_DEVICE, window),
        ratelimits.Limit("access-code-address", address, settings.ACCESS_CODE_TRIES_PER_ADDRESS, window),
        ratelimits.Limit("access-code-gallery", str(gallery.pk), settings.ACCESS_CODE_TRIES_PER_GALLERY, window),
    )


def _access_token(gallery: Gallery) -> str:
    # Tied to the current code: changing a gallery's code locks out earlier guests.
    return salted_hmac("galleries.access", f"{gallery.pk}:{gallery.access_code}").hexdigest()[:32]


def gallery_is_unlocked(*, gallery: Gallery, session) -> bool:
    if not gallery.is_private:
        return True
    token = session.get(SESSION_ACCESS_KEY, {}).get(str(gallery.pk))
    return token is not None and constant_time_compare(token, _access_token(gallery))


def gallery_unlock(*, gallery: Gallery, session, code: str) -> bool:
    """Remembers the gallery as open for this session if the code is right."""
    if not gallery.is_private:
        return True
    if not constant_time_compare(code.strip().casefold(), gallery.access_code.strip().casefold()):
        return False
    tokens = session.get(SESSION_ACCESS_KEY, {})
    tokens[str(gallery.pk)] = _access_token(gallery)
    session[SESSION_ACCESS_KEY] = tokens
    return True


# --- Folder import --------------------------------------------------------------------

SKIPPED_FILE_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def folder_files(folder: Path) -> list[Path]:
    """Every file below `folder` that could be a photo, in a stable order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name not in SKIPPED_FILE_NAMES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def photo_import_file(*, gallery: Gallery, path: Path, report: ImportReport) -> None:
    try:
        with path.open("rb") as fh:
            photo_create(gallery=gallery, upload=File(fh, name=path.name), filename=path.name)
    except DuplicatePhoto:
        report.already_there.append(path)
    except PhotoUploadError as exc:
        report.failed.append((path, str(exc)))
    except OSError as exc:
        report.failed.append((path, f"Could not read the file: {exc.strerror or exc}"))
    else:
        report.imported.append(path)
