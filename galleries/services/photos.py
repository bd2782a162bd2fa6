"""Photos coming in and going out: an upload checked, stored and made a row; photos deleted.

Storage and database stay consistent: a file is stored before its row exists and removed
if the row cannot be written; files are deleted only after the transaction that deleted
their rows has committed. Object keys are made here (photo_storage_name), never from a
user's file name. Whatever changes the photos a gallery shows also moves the gallery's
`updated_at` (Gallery.objects...touch()), in the same transaction or after it, never before:
the gallery page is cached under that time, so a request that reads the new time must find
the new photos.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from eventgallery import transient
from galleries import metadata
from galleries.face_data import photos_faces_forget
from galleries.imaging import (
    ImageInfo,
    ImageRejected,
    inspect_image,
)
from galleries.models import Gallery, Photo
from galleries.task_paths import PROCESS_PHOTO, task_enqueue
from galleries.task_priorities import photo_sizes_priority

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


def photo_storage_prefix(*, gallery_id: int, key: uuid.UUID) -> str:
    return f"galleries/{gallery_id}/{key}"


def photo_storage_name(*, gallery_id: int, key: uuid.UUID, kind: str, extension: str) -> str:
    """Object keys are made here, never from a user's file name: two guests'
    IMG_0001.jpg must not overwrite each other."""
    return f"{photo_storage_prefix(gallery_id=gallery_id, key=key)}/{kind}.{extension}"


def file_sha256_and_size(upload: File) -> tuple[str, int]:
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
    content_hash, size = file_sha256_and_size(upload)
    _size_check(size)
    return content_hash, size


def _upload_size_check(*, upload: File) -> None:
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    _size_check(size)


def _size_check(size: int) -> None:
    if size == 0:
        raise PhotoRejected("The file is empty.")
    max_bytes = settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024
    if size > max_bytes:
        raise PhotoRejected(f"The file is {size / 1024 / 1024:.0f} MB; the limit is {settings.PHOTO_MAX_UPLOAD_MB} MB.")


def upload_inspect(*, upload: File, decode: bool = True) -> ImageInfo:
    """What the image is; raises PhotoRejected for a file that cannot become a photo.
    `decode` False: checked from its header and structure only, never decoded here
    (a guest's upload: the worker decodes it; galleries/imaging.py)."""
    try:
        return inspect_image(upload, decode=decode)
    except ImageRejected as exc:
        raise PhotoRejected(str(exc)) from exc


def upload_filename(filename: str) -> str:
    """The name an upload is shown under: its last path part, without the NUL
    characters that PostgreSQL cannot store. Never used as a storage key."""
    return Path(filename.replace("\x00", "")).name[:255] or "photo"


def upload_store(*, upload: File, name: str, filename: str, attempts: int = 1) -> str:
    """Stores the upload under `name` (made by the application) and returns the name
    the storage gave it, trying `attempts` times while the storage does not answer;
    raises StorageUnavailable, leaving nothing behind."""

    tries = 0

    def store():
        nonlocal tries
        tries += 1
        if tries > 1:
            # A save whose answer was lost may have gone through: the name is ours, and
            # the next save must not land beside it under another.
            default_storage.delete(name)
        upload.seek(0)
        return default_storage.save(name, upload)

    try:
        return transient.with_retries(store, what=f"Storing {filename}", attempts=attempts)
    except Exception as exc:
        logger.exception("Could not store %s as %s", filename, name)
        files_delete([name])  # a partly written local file, if any
        raise StorageUnavailable("The file could not be stored (storage unavailable); nothing was saved.") from exc


def photo_create(
    *,
    gallery: Gallery,
    upload: File,
    filename: str,
    storage_attempts: int = 1,
    review: str = Photo.Review.SHOWN,
    guest_name: str | None = None,
) -> Photo:
    """Validates and stores one uploaded original and queues its processing, trying
    the storage `storage_attempts` times. The original is stored without its location
    (metadata.strip_personal_metadata); a guest's upload (`guest_name` given, "" for a
    guest who gave none) without the other personal metadata either, and held back from
    guests as `review` says.

    Raises PhotoUploadError (with a message for people) and leaves nothing behind.
    """
    filename = upload_filename(filename)
    _upload_size_check(upload=upload)  # before the metadata is looked for
    by_guest = guest_name is not None
    stripped = metadata.strip_personal_metadata(upload, guest=by_guest)
    try:
        return _photo_create(
            gallery=gallery,
            upload=stripped,
            filename=filename,
            storage_attempts=storage_attempts,
            review=review,
            guest_name=guest_name or "",
            by_guest=by_guest,
        )
    finally:
        if stripped is not upload:
            stripped.close()


def _photo_create(
    *,
    gallery: Gallery,
    upload: File,
    filename: str,
    storage_attempts: int,
    review: str,
    guest_name: str,
    by_guest: bool,
) -> Photo:
    # Hashed as stored: the same photo sent again is stripped the same, still a duplicate.
    content_hash, size = upload_hash_and_size(upload=upload)
    existing = gallery.photos.filter(content_hash=content_hash).first()
    if existing:
        raise DuplicatePhoto(existing)
    # A guest's file is never decoded in the web process; one the worker finds damaged
    # fails there (never shown), with the reason for the organizer.
    info = upload_inspect(upload=upload, decode=not by_guest)

    key = uuid.uuid4()
    name = photo_storage_name(
        gallery_id=gallery.pk, key=key, kind="original", extension=FORMAT_EXTENSIONS.get(info.format, "bin")
    )
    stored_name = upload_store(upload=upload, name=name, filename=filename, attempts=storage_attempts)

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
        review=review,
        uploaded_by_guest=by_guest,
        guest_name=guest_name[:80],
    )
    try:
        with transaction.atomic():
            photo.save()
            transaction.on_commit(
                partial(enqueue_photo_processing, photo_id=photo.pk, gallery_id=gallery.pk, by_guest=by_guest)
            )
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


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    names = photo.stored_names
    photos_faces_forget(photo_ids=[photo.pk])
    photo.delete()
    Gallery.objects.filter(pk=photo.gallery_id).touch()
    files_delete_on_commit(names)


@transaction.atomic
def photos_delete(*, photos: Iterable[Photo]) -> int:
    photos = list(photos)
    names = [name for photo in photos for name in photo.stored_names]
    photos_faces_forget(photo_ids=[photo.pk for photo in photos])
    Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
    Gallery.objects.filter(pk__in={photo.gallery_id for photo in photos}).touch()
    files_delete_on_commit(names)
    return len(photos)


def enqueue_photo_processing(
    *, photo_id: int, delay_s: float = 0, gallery_id: int | None = None, by_guest: bool | None = None
) -> None:
    priority = photo_sizes_priority(photo_id=photo_id, gallery_id=gallery_id, by_guest=by_guest)
    task_enqueue(PROCESS_PHOTO, priority=priority, delay_s=delay_s, photo_id=photo_id)


def photo_leftovers_delete(*, photo: Photo) -> None:
    """Deletes what the storage holds under the photo's prefix that its row does not
    name: derivatives of a run that failed half-way, that a dead worker left, or
    whose save went through although its answer was lost."""
    prefix = photo_storage_prefix(gallery_id=photo.gallery_id, key=photo.key)
    try:
        _, names = transient.with_retries(
            lambda: default_storage.listdir(prefix), what=f"Listing the files of photo {photo.pk}"
        )
    except FileNotFoundError:
        return
    except Exception:
        logger.exception("Could not list the files of photo %s", photo.pk)
        return
    keep = set(photo.stored_names)
    for name in (f"{prefix}/{n}" for n in names):
        if name in keep:
            continue
        try:
            # Tried again: no later run of this photo would look for it.
            transient.with_retries(lambda name=name: default_storage.delete(name), what=f"Deleting {name}")
        except Exception:
            logger.exception("Could not delete %s from storage", name)


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one file of an upload: its photo, or the PhotoUploadError that
    refused it (str() of which is meant for people)."""

    filename: str
    photo: Photo | None = None
    error: PhotoUploadError | None = None


def photos_upload(
    *, gallery: Gallery, uploads: Iterable[File], create: Callable[..., Photo] | None = None
) -> list[UploadOutcome]:
    """The files of one upload made photos of the gallery, one after the other, each on
    its own: a file refused (PhotoUploadError) is said so and the next one is still
    taken; any other error stops the upload. The admin's uploads go through photo_create;
    a guest's through `create` (guest_uploads.guest_photo_upload with the guest's name,
    device and address), called as create(upload=..., filename=...)."""
    create = create or partial(photo_create, gallery=gallery)
    outcomes = []
    for upload in uploads:
        try:
            photo = create(upload=upload, filename=upload.name)
        except PhotoUploadError as exc:
            outcomes.append(UploadOutcome(filename=upload.name, error=exc))
        else:
            outcomes.append(UploadOutcome(filename=upload.name, photo=photo))
    return outcomes
