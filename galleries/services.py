"""What organizers, operators and the worker do to galleries and photos.

Storage and database stay consistent: a file is stored before its row exists
and removed if the row cannot be written; files are deleted only after the
transaction that deleted their rows has committed.

Whatever changes the photos a gallery shows also moves the gallery's `updated_at`
(galleries_touch), in the same transaction or after it, never before: the gallery
page is cached under that time, so a request that reads the new time must find
the new photos.

A gallery's watermark is drawn into the middle and display images by the worker,
never into the originals; each photo records the watermark it carries
(Photo.watermark). When the organizer changes it, the ready photos are drawn again
from their originals, a task per photo (photo_watermark_refresh): new files stored,
the row switched to them, the old files deleted after, the page's cache moved on.
"""

import functools
import hashlib
import io
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify

from eventgallery import transient
from faces import services as faces_services
from galleries import metadata, watermark
from galleries.imaging import (
    ImageInfo,
    ImageRejected,
    inspect_image,
    make_derivatives,
    make_middle_derivative,
    open_upright_rgb,
)
from galleries.models import Gallery, Photo
from ops import ratelimits
from ops import services as ops_services

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


def enqueue_photo_processing(*, photo_id: int, delay_s: float = 0) -> None:
    from galleries.tasks import process_photo

    task = process_photo
    if delay_s and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    task.enqueue(photo_id=photo_id)


def _mark_failed(photo: Photo, reason: str) -> None:
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.FAILED, error=reason, processed_at=timezone.now())


def photo_process(*, photo_id: int, index_faces: bool = True) -> Photo | None:
    """Makes the thumbnail, middle and display derivatives of a photo (the worker's job),
    with the faces that applied hide requests blur made unrecognisable, and queues
    the indexing of its faces (unless `index_faces` is False: the re-rendering that a
    hide request asks for keeps the face index, whose faces the requests name).

    A file that is not a usable image, or an original missing from storage, fails the
    photo at once with the reason; it can be retried with photo_reprocess(). When the
    storage or the database does not answer, the step is tried again in place, then
    the photo is queued again after a delay (photo_retry_later), until processing has
    run TASK_MAX_ATTEMPTS times. Returns the photo when it is ready, else None.
    """
    try:
        return _photo_process(photo_id=photo_id, index_faces=index_faces)
    except Exception as exc:
        if not transient.is_database_error(exc):
            raise
        # The database went away half-way. Once it answers the photo is queued again;
        # if it stays away, this task fails and the worker's sweep finds the photo.
        logger.warning("The database failed while processing photo %s: %s", photo_id, exc)
        problem = transient.what_failed(exc)
        transient.with_retries(
            lambda: photo_retry_later(photo_id=photo_id, problem=problem),
            what=f"Queueing photo {photo_id} again",
        )
        return None


def _photo_process(*, photo_id: int, index_faces: bool = True) -> Photo | None:
    photo = Photo.objects.select_related("gallery").filter(pk=photo_id).first()
    if photo is None:
        return None
    if photo.status == Photo.Status.PROCESSING and photo.processing_attempts >= settings.TASK_MAX_ATTEMPTS:
        _mark_failed(photo, _worker_lost_reason(photo.processing_attempts))
        return None
    attempt = photo.processing_attempts + 1
    with transaction.atomic():
        Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PROCESSING, error="", processing_attempts=attempt)
        if photo.is_ready:  # processed again: it leaves the page until it is ready
            galleries_touch(gallery_ids=[photo.gallery_id])
    gallery = photo.gallery
    try:
        mark = gallery_mark(gallery=gallery)
    except WatermarkLogoMissing as exc:
        _mark_failed(photo, str(exc))
        return None
    except Exception as exc:
        _processing_failed(photo, attempt, exc, "The watermark's logo could not be read from storage")
        return None
    try:
        with transient.stored_file_copy(photo.original, what=f"Reading the original of photo {photo.pk}") as original:
            privacy = faces_services.photo_privacy(photo_id=photo.pk)
            derivatives = make_derivatives(original, mark=mark, blur_boxes=privacy.blur_boxes)
    except ImageRejected as exc:
        _mark_failed(photo, str(exc))
        return None
    except Exception as exc:
        _processing_failed(photo, attempt, exc, "The original could not be read from storage")
        return None

    stored = {}

    def store():
        # Goes on from the derivative that failed: those stored already stay.
        for derivative in derivatives:
            if derivative.kind not in stored:
                name = photo_storage_name(
                    gallery_id=photo.gallery_id, key=photo.key, kind=derivative.kind, extension=derivative.extension
                )
                stored[derivative.kind] = default_storage.save(name, ContentFile(derivative.content))

    try:
        transient.with_retries(store, what=f"Storing the derivatives of photo {photo.pk}")
    except Exception as exc:
        files_delete(stored.values())
        _processing_failed(photo, attempt, exc, "The thumbnails could not be stored")
        return None

    with transaction.atomic():
        # Only this run's claim: a run started since (the photo queued again) wins.
        updated = Photo.objects.filter(pk=photo.pk, processing_attempts=attempt).update(
            thumbnail=stored["thumb"],
            middle=stored["middle"],
            display=stored["display"],
            watermark=gallery.watermark_signature(),
            status=Photo.Status.READY,
            error="",
            processed_at=timezone.now(),
            hidden=privacy.hidden,
            faces_blurred=bool(privacy.blur_boxes),
        )
        if updated:
            galleries_touch(gallery_ids=[photo.gallery_id])
    if not updated:  # deleted, or taken over, while we worked
        files_delete(stored.values())
        return None
    files_delete({photo.thumbnail.name, photo.middle.name, photo.display.name} - {"", *stored.values()})
    photo.refresh_from_db()
    photo_leftovers_delete(photo=photo)
    if index_faces:
        faces_services.photo_faces_queue(photo=photo)
    # The organizer changed the watermark while we drew the one we read: draw it again.
    photos_watermark_queue(photos=Photo.objects.filter(pk=photo.pk))
    return photo


def _processing_failed(photo: Photo, attempt: int, exc: Exception, what: str) -> None:
    if isinstance(exc, FileNotFoundError):
        _mark_failed(photo, "The original is missing from storage; upload the photo again.")
    elif transient.is_transient(exc):
        logger.warning("%s for photo %s (attempt %d): %s", what, photo.pk, attempt, exc)
        photo_retry_later(photo_id=photo.pk, problem=f"{what}: {transient.what_failed(exc).lower()}")
    else:
        logger.error("%s for photo %s", what, photo.pk, exc_info=exc)
        _mark_failed(photo, f"{what} ({type(exc).__name__}); retry it later.")


def photo_retry_later(*, photo_id: int, problem: str) -> None:
    """The photo's processing failed for a while (`problem`, for organizers): queue it
    again after retry_delay(), or fail it once it has run TASK_MAX_ATTEMPTS times."""
    photo = Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).first()
    if photo is None:
        return
    attempt = photo.processing_attempts
    if attempt >= settings.TASK_MAX_ATTEMPTS:
        _mark_failed(photo, f"{problem} ({attempt} attempts); retry the photo later.")
        photo_leftovers_delete(photo=photo)
        return
    delay = transient.retry_delay(attempt)
    with transaction.atomic():
        updated = Photo.objects.filter(pk=photo.pk, processing_attempts=attempt).update(
            status=Photo.Status.PENDING,
            error=f"{problem}; trying again in {delay:.0f} s (attempt {attempt + 1} of {settings.TASK_MAX_ATTEMPTS}).",
            queued_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(partial(enqueue_photo_processing, photo_id=photo.pk, delay_s=delay))


def _worker_lost_reason(attempts: int) -> str:
    return (
        f"Processing stopped {attempts} times without finishing (the worker was lost: out of memory, "
        "or restarted); retry the photo later."
    )


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


class MiddleNotMade(Exception):
    """The middle image of a photo could not be made; str(exc) says why, for the operator."""


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def photo_middle_make(*, photo: Photo) -> bool:
    """Makes the middle derivative of a ready photo processed before it existed, from
    its display image (a twentieth of the original's bytes to read, and no full-size
    decode), and returns whether it made one. A photo that has one, or is not ready,
    is left alone, so running it twice changes nothing.

    The file is stored before the row names it, under the photo's own name for it (a
    file left there by a run that was stopped is replaced); the row is only updated
    if the photo still has the same display image and no middle one, else the file
    goes again. The gallery's `updated_at` moves: its cached pages offer the new size.
    Raises MiddleNotMade, leaving nothing behind.
    """
    if photo.middle.name or not photo.is_ready:
        return False
    try:
        with transient.stored_file_copy(photo.display, what=f"Reading the display image of photo {photo.pk}") as source:
            derivative = make_middle_derivative(source)
    except FileNotFoundError as exc:
        raise MiddleNotMade("its display image is missing from storage; process the photo again") from exc
    except ImageRejected as exc:
        raise MiddleNotMade(f"its display image cannot be read: {exc}") from exc
    except Exception as exc:
        raise MiddleNotMade(f"its display image could not be read ({_failure(exc)})") from exc

    name = photo_storage_name(
        gallery_id=photo.gallery_id, key=photo.key, kind=derivative.kind, extension=derivative.extension
    )

    def store():
        default_storage.delete(name)  # ours: left by a run stopped between storing and saving the row
        return default_storage.save(name, ContentFile(derivative.content))

    try:
        stored_name = transient.with_retries(store, what=f"Storing the middle image of photo {photo.pk}")
    except Exception as exc:
        files_delete([name])
        raise MiddleNotMade(f"it could not be stored ({_failure(exc)})") from exc

    with transaction.atomic():
        updated = Photo.objects.filter(
            pk=photo.pk, status=Photo.Status.READY, display=photo.display.name, middle=""
        ).update(middle=stored_name)
        if updated:
            galleries_touch(gallery_ids=[photo.gallery_id])
    if not updated:  # deleted, processed again or given one meanwhile
        files_delete([stored_name])
        return False
    photo.middle.name = stored_name
    return True


def photo_reprocess(*, photos: Iterable[Photo]) -> int:
    count = 0
    gallery_ids = set()
    for photo in photos:
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.PENDING, error="", processing_attempts=0, queued_at=timezone.now()
        )
        transaction.on_commit(partial(enqueue_photo_processing, photo_id=photo.pk))
        gallery_ids.add(photo.gallery_id)
        count += 1
    galleries_touch(gallery_ids=gallery_ids)
    return count


def photos_render_again(*, photo_ids: Iterable[int]) -> int:
    """Queues the derivatives of these photos to be made again (galleries.tasks.render_photo),
    after the faces their hide requests blur changed. Until it is done each photo is
    pending, and so seen by no guest: neither the old rendering nor the original. Call
    inside a transaction; the task is enqueued once it commits."""
    from galleries.tasks import render_photo

    photo_ids = list(photo_ids)
    Photo.objects.filter(pk__in=photo_ids).update(
        status=Photo.Status.PENDING, error="", processing_attempts=0, queued_at=timezone.now()
    )
    for photo_id in photo_ids:
        transaction.on_commit(partial(render_photo.enqueue, photo_id=photo_id))
    galleries_touch(gallery_ids=Photo.objects.filter(pk__in=photo_ids).values_list("gallery_id", flat=True))
    return len(photo_ids)


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


def gallery_slug_moved_message(*, asked: str, given: str) -> str:
    """What an organizer is told when the address they asked for went to another gallery
    and theirs got `given` (gallery_free_slug). That a published gallery is at /g/<asked>/
    anyone may see by going there; of a draft, which is not found there, nothing is said."""
    if Gallery.objects.filter(slug=asked, is_published=True).exists():
        return f"The address /g/{asked}/ is another gallery's: this gallery is at /g/{given}/."
    return f"This gallery is at /g/{given}/ (some addresses get a few letters added to stay unique)."


@transaction.atomic
def gallery_delete(*, gallery: Gallery) -> None:
    faces_services.gallery_faces_forget(gallery=gallery)
    names = [
        name
        for fields in gallery.photos.values_list("original", "thumbnail", "middle", "display")
        for name in fields
        if name
    ]
    gallery.delete()
    files_delete_on_commit([*names, gallery.watermark_logo.name])


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


# --- Closing ------------------------------------------------------------------------
# A gallery past its `closes_at` has closed to guests (galleries/access.py); nothing has
# to happen at that moment for that. What does have to happen, soon after, is that its
# face data goes and Find me is switched off: gallery_close does it, and
# galleries_close_expired finds the galleries that still need it, so that running it
# every minute does nothing (one indexed query) once they are all done.

GALLERY_EXTEND_DAYS = 30


def galleries_closed_with_face_data(*, now=None):
    """Closed galleries that still have Find me on or face data of any kind."""
    from faces.models import Face, FaceCollection, PhotoFaces

    return Gallery.objects.closed(now).filter(
        Q(face_search_enabled=True)
        | Q(pk__in=FaceCollection.objects.values("gallery_id"))
        | Q(pk__in=PhotoFaces.objects.values("gallery_id"))
        | Q(pk__in=Face.objects.values("gallery_id"))
    )


@transaction.atomic
def gallery_close(*, gallery: Gallery) -> None:
    """Switches Find me off and deletes the gallery's face data: the rows now, the
    Rekognition collection once this commits (faces.services.gallery_face_search_switched)."""
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=False, updated_at=timezone.now())
    gallery.face_search_enabled = False
    faces_services.gallery_face_search_switched(gallery=gallery)


def galleries_close_expired(*, now=None, dry_run: bool = False) -> list[Gallery]:
    """Closes (gallery_close) the galleries whose closing time has passed and that still
    have face data or Find me on; returns them. With dry_run, only finds them."""
    galleries = list(galleries_closed_with_face_data(now=now).order_by("pk"))
    if not dry_run:
        for gallery in galleries:
            gallery_close(gallery=gallery)
    return galleries


def gallery_closing_extend(*, gallery: Gallery, days: int = GALLERY_EXTEND_DAYS, now=None) -> bool:
    """Moves the closing time `days` later, counted from now if it has passed (the
    gallery opens again, without the face data it lost). A gallery that never closes
    stays so: returns False."""
    if gallery.closes_at is None:
        return False
    gallery.closes_at = max(gallery.closes_at, now or timezone.now()) + timedelta(days=days)
    gallery.save(update_fields=["closes_at", "updated_at"])
    return True


# --- Access codes -------------------------------------------------------------------
# A code is compared without regard to case or surrounding spaces. Tries are limited per
# device and per address, counted before the code is checked; a right code is then
# handed back, so a wedding's guests typing it never use up a limit. Wrong codes are
# also limited per gallery, counted once the code is known to be wrong: a guess spread
# over many devices and addresses is slowed down, while the right code still gets in
# from any device or address that is not over its own limit (the gallery's limit must
# not let a stranger lock every guest out). Against a guess spread wide, the code's own
# length holds: 31^8 codes (below), at most ACCESS_CODE_TRIES_PER_ADDRESS per address.

SESSION_ACCESS_KEY = "gallery_access"
# Lowercase letters and digits without look-alikes (0 o, 1 l i): 31^8, about 10^12 codes.
ACCESS_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ACCESS_CODE_LENGTH = 8


def access_code_generate() -> str:
    """A random code that is easy to read out and type on a phone."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


@dataclass(frozen=True)
class AccessCodeTry:
    """What came of a try: the gallery unlocked, or refused for a limit (retry_after_s
    above 0), or else the code was wrong."""

    unlocked: bool
    retry_after_s: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after_s > 0


def access_code_try(*, gallery: Gallery, session, code: str, device: str, address: str) -> AccessCodeTry:
    """Tries `code` for this session: counted per device and per address first (over
    either limit, refused before the code is checked, and counted nowhere); a right
    code unlocks and is handed back; a wrong one stays counted there and is counted
    per gallery too, refused when the gallery has had too many wrong codes in
    ACCESS_CODE_WINDOW_S. That refusal keeps the device's and the address's hits: the
    code was checked, and a refusal says it was wrong as plainly as a 403 does."""
    window = settings.ACCESS_CODE_WINDOW_S
    decision = ratelimits.limits_hit(
        ratelimits.Limit("access-code-device", device, settings.ACCESS_CODE_TRIES_PER_DEVICE, window),
        ratelimits.Limit("access-code-address", address, settings.ACCESS_CODE_TRIES_PER_ADDRESS, window),
    )
    if not decision.allowed:
        return AccessCodeTry(unlocked=False, retry_after_s=decision.retry_after_s)
    if gallery_unlock(gallery=gallery, session=session, code=code):
        decision.refund()  # a right code is not a guess
        return AccessCodeTry(unlocked=True)
    per_gallery = ratelimits.limits_hit(
        ratelimits.Limit("access-code-gallery", str(gallery.pk), settings.ACCESS_CODE_TRIES_PER_GALLERY, window)
    )
    return AccessCodeTry(unlocked=False, retry_after_s=per_gallery.retry_after_s)


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
    # Files the gallery had as failed photos: those photos are processed again.
    requeued: list[Path] = field(default_factory=list)
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
    """Imports one file. The operator waits: the storage is tried TASK_MAX_ATTEMPTS
    times, so that a short outage costs no photo. A file the gallery has as a failed
    photo is processed again."""
    try:
        with path.open("rb") as fh:
            photo_create(
                gallery=gallery,
                upload=File(fh, name=path.name),
                filename=path.name,
                storage_attempts=settings.TASK_MAX_ATTEMPTS,
            )
    except DuplicatePhoto as exc:
        if exc.existing.status == Photo.Status.FAILED:
            with transaction.atomic():
                photo_reprocess(photos=[exc.existing])
            report.requeued.append(path)
        else:
            report.already_there.append(path)
    except PhotoUploadError as exc:
        report.failed.append((path, str(exc)))
    except OSError as exc:
        report.failed.append((path, f"Could not read the file: {exc.strerror or exc}"))
    else:
        report.imported.append(path)


# --- Watermark ------------------------------------------------------------------------


class WatermarkLogoMissing(Exception):
    """The gallery's logo is not in storage any more; str(exc) says so, for organizers."""


def gallery_mark(*, gallery: Gallery) -> watermark.Mark | None:
    """What the worker draws on the gallery's photos, None for no watermark. Reads the
    logo from storage (with retries); raises WatermarkLogoMissing if it is not there."""
    if gallery.watermark == Gallery.Watermark.NONE:
        return None
    logo = None
    if gallery.watermark == Gallery.Watermark.LOGO:
        try:
            logo = _stored_logo(gallery.watermark_logo.name)
        except FileNotFoundError as exc:
            raise WatermarkLogoMissing(
                "The gallery's watermark logo is missing from storage; choose it again in the gallery's settings."
            ) from exc
    return watermark.Mark(
        text=gallery.watermark_text if gallery.watermark == Gallery.Watermark.TEXT else "",
        logo=logo,
        position=gallery.watermark_position,
        opacity=gallery.watermark_opacity,
        size=gallery.watermark_size,
    )


@functools.lru_cache(maxsize=4)
def _stored_logo(name: str):
    """A stored logo, decoded, kept for the next photos of the gallery: a new logo is
    stored under a new name (models.watermark_logo_name), so a name's content never changes."""

    def read() -> bytes:
        with default_storage.open(name, "rb") as fh:
            return fh.read()

    return watermark.logo_open(transient.with_retries(read, what=f"Reading the watermark logo {name}"))


def photos_watermark_stale(*, gallery: Gallery):
    """The gallery's ready photos whose middle and display images carry another
    watermark than the gallery's (or one it no longer has)."""
    return gallery.photos.ready().exclude(watermark=gallery.watermark_signature())


def photos_watermark_queue(*, photos) -> int:
    """Queues, on commit, a photo_watermark_refresh of each ready photo of `photos` whose
    watermark is not its gallery's and that has none queued yet; returns how many."""
    from galleries.tasks import refresh_photo_watermark

    live = ops_services.tasks_live_arguments(task=refresh_photo_watermark, argument="photo_id")
    count = 0
    for photo in photos.ready().select_related("gallery").only("pk", "watermark", "gallery"):
        if photo.watermark != photo.gallery.watermark_signature() and photo.pk not in live:
            transaction.on_commit(partial(refresh_photo_watermark.enqueue, photo_id=photo.pk))
            count += 1
    return count


def gallery_watermark_saved(*, gallery: Gallery, logo_before: str) -> int:
    """After the organizer saved the gallery (in their transaction): the logo it had
    before (`logo_before`) is deleted once this commits if it has another now, and the
    ready photos that do not carry the watermark it has now are queued to be drawn
    again. Returns how many were queued."""
    if logo_before and logo_before != gallery.watermark_logo.name:
        files_delete_on_commit([logo_before])
    return photos_watermark_queue(photos=photos_watermark_stale(gallery=gallery))


def photo_watermark_refresh(*, photo_id: int) -> bool:
    """Draws a ready photo's middle and display images again, from its original, with its
    gallery's watermark as it is now; returns whether it did. A photo that carries it
    already, or is not ready (its processing draws the current one), is left alone: a
    run stopped half-way, or queued twice, is simply run again. A watermark changed
    while it drew (the change queued no second run: this one was live) is drawn next.

    The new files are stored beside the old ones before the row names them; the row is
    switched only if it still names the old ones (else the new files go again); the
    old files are deleted after, and the gallery's `updated_at` moves with the switch.
    Raises what storage raises when it stays away (the task fails; the command and the
    next change find the photo again), and ImageRejected or WatermarkLogoMissing for a
    photo that cannot be drawn.
    """
    drawn = False
    for _ in range(3):
        if not _photo_watermark_draw(photo_id=photo_id):
            break
        drawn = True
    return drawn


def _photo_watermark_draw(*, photo_id: int) -> bool:
    photo = Photo.objects.select_related("gallery").filter(pk=photo_id, status=Photo.Status.READY).first()
    if photo is None:
        return False
    gallery = photo.gallery
    signature = gallery.watermark_signature()
    if photo.watermark == signature:
        return False
    mark = gallery_mark(gallery=gallery)
    with transient.stored_file_copy(photo.original, what=f"Reading the original of photo {photo.pk}") as original:
        # Faces a guest asked to blur stay blurred under the new watermark.
        privacy = faces_services.photo_privacy(photo_id=photo.pk)
        derivatives = {d.kind: d for d in make_derivatives(original, mark=mark, blur_boxes=privacy.blur_boxes)}

    stored = {}

    def store():
        for kind in ("middle", "display"):
            if kind not in stored:
                derivative = derivatives[kind]
                name = photo_storage_name(
                    gallery_id=photo.gallery_id, key=photo.key, kind=kind, extension=derivative.extension
                )
                stored[kind] = default_storage.save(name, ContentFile(derivative.content))

    try:
        transient.with_retries(store, what=f"Storing the watermarked images of photo {photo.pk}")
    except BaseException:
        files_delete(stored.values())
        raise
    with transaction.atomic():
        updated = Photo.objects.filter(
            pk=photo.pk, status=Photo.Status.READY, middle=photo.middle.name, display=photo.display.name
        ).update(middle=stored["middle"], display=stored["display"], watermark=signature)
        if updated:
            galleries_touch(gallery_ids=[photo.gallery_id])
    if not updated:  # deleted, processed again or drawn by another run meanwhile
        files_delete(stored.values())
        return False
    files_delete({photo.middle.name, photo.display.name} - {"", *stored.values()})
    photo.refresh_from_db()
    photo_leftovers_delete(photo=photo)  # files of a run that stopped before switching the row
    return True


def photo_original_strip(*, photo_id: int) -> bool:
    """Takes the personal metadata out of a photo's stored original as ingest does now
    (metadata.strip_personal_metadata: the location of every photo, the rest too of a
    guest's), for originals stored before it did. True when the original changed.

    The edited original is stored under a new name before the row names it (with its
    new hash and size), and the old file is deleted once that is committed: a photo
    always has its file, and none is left over. A photo changed meanwhile keeps its
    original, and the new file is deleted. Raises DuplicatePhoto, changing nothing,
    when the gallery has the edited file already (sent again after ingest stripped it)."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not photo.original.name:
        return False
    old_name = photo.original.name
    with transient.stored_file_copy(photo.original, what=f"Reading the original of photo {photo.pk}") as copy:
        original = File(copy, name=old_name)
        stripped = metadata.strip_personal_metadata(original, guest=photo.uploaded_by_guest)
        if stripped is original:
            return False
        try:
            content_hash, size = _sha256_and_size(stripped)
            existing = photo.gallery.photos.filter(content_hash=content_hash).exclude(pk=photo.pk).first()
            if existing:
                raise DuplicatePhoto(existing)
            name = transient.with_retries(
                lambda: default_storage.save(old_name, stripped), what=f"Storing the original of photo {photo.pk}"
            )
        finally:
            stripped.close()
    try:
        with transaction.atomic():
            updated = Photo.objects.filter(pk=photo.pk, original=old_name).update(
                original=name, content_hash=content_hash, file_size=size
            )
            if updated:
                files_delete_on_commit([old_name])
                galleries_touch(gallery_ids=[photo.gallery_id])
    except IntegrityError:  # the same file sent again in the meantime
        files_delete([name])
        raise DuplicatePhoto(photo.gallery.photos.get(content_hash=content_hash)) from None
    if not updated:
        files_delete([name])
    return bool(updated)


def gallery_watermark_preview(*, gallery: Gallery) -> bytes:
    """A JPEG of the gallery's first ready photo at middle size with `gallery`'s watermark
    (its fields may be unsaved), as the worker would draw it; a sample image when the
    gallery has no photo to show, or its original cannot be read."""
    photo = gallery.photos.ready().in_display_order().only("pk", "original").first()
    image = None
    if photo is not None:
        try:
            with transient.stored_file_copy(photo.original, what=f"Reading the original of photo {photo.pk}") as fh:
                # In the web process: a decode turn, or the sample (a guest's 144 MP WebP may be first).
                image = open_upright_rgb(fh, long_edge=settings.PHOTO_MIDDLE_SIZE, bounded=True)
        except Exception:
            logger.warning("No preview of the watermark on photo %s", photo.pk, exc_info=True)
    if image is None:
        image = watermark.sample_photo((settings.PHOTO_MIDDLE_SIZE, settings.PHOTO_MIDDLE_SIZE * 2 // 3))
    try:
        mark = gallery_mark(gallery=gallery)
    except WatermarkLogoMissing:
        mark = None
    if mark is not None:
        image = watermark.apply(image, mark)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# --- Guests' uploads --------------------------------------------------------------------
# A gallery whose organizer lets guests add photos (Gallery.guest_uploads) takes them one
# file at a time from its upload page. Each goes through photo_create like an organizer's
# (the same checks, nothing left behind, processed at once so that the organizer's queue
# has previews) and is held back from guests as the gallery's mode says: shown once
# processed (open), waiting for approval, or in the drop box for the organizer only.
# Which photos guests see is models.guest_visible_q, and nothing else.
#
# Uploads are limited per device, per address and per gallery (ops/ratelimits.py). A
# file that was refused for itself counts (a stream of junk is still a stream); one
# that was already there (a retry after a lost answer) or that the storage could not
# take does not.

GUEST_REVIEW_FOR_MODE = {
    Gallery.GuestUploads.OPEN: Photo.Review.SHOWN,
    Gallery.GuestUploads.APPROVAL: Photo.Review.PENDING,
    Gallery.GuestUploads.DROP_BOX: Photo.Review.DROP_BOX,
}
GUEST_NAME_MAX_LENGTH = Photo._meta.get_field("guest_name").max_length


class GuestUploadRefused(PhotoUploadError):
    """The gallery does not take this guest's upload now (off, or over a limit)."""

    def __init__(self, message: str, *, retry_after_s: int = 0):
        self.retry_after_s = retry_after_s
        super().__init__(message)


def guest_upload_limits_hit(*, gallery: Gallery, device: str, address: str) -> ratelimits.Decision:
    """Counts one file against the guest upload limits of the device, the address and
    the gallery within GUEST_UPLOAD_WINDOW_S."""
    window = settings.GUEST_UPLOAD_WINDOW_S
    return ratelimits.limits_hit(
        ratelimits.Limit("guest-upload-device", device, settings.GUEST_UPLOADS_PER_DEVICE, window),
        ratelimits.Limit("guest-upload-address", address, settings.GUEST_UPLOADS_PER_ADDRESS, window),
        ratelimits.Limit("guest-upload-gallery", str(gallery.pk), settings.GUEST_UPLOADS_PER_GALLERY, window),
    )


_LIMIT_MESSAGES = {
    "guest-upload-device": "You have sent many photos in a short time.",
    "guest-upload-address": "Many photos were sent from your network in a short time.",
    "guest-upload-gallery": "This gallery has received many photos in a short time.",
}


def guest_photo_upload(
    *, gallery: Gallery, upload: File, filename: str, guest_name: str, device: str, address: str
) -> Photo:
    """One guest's file made a photo of the gallery, held back as its mode says.

    Raises GuestUploadRefused when the gallery takes no guests' photos or a limit is
    reached, DuplicatePhoto when the gallery has the file already (a retry), and the
    other PhotoUploadErrors of photo_create; leaves nothing behind. The caller has let
    the guest into the gallery (galleries/access.py)."""
    review = GUEST_REVIEW_FOR_MODE.get(gallery.guest_uploads)
    if review is None:
        raise GuestUploadRefused("This gallery does not take guests' photos.")
    decision = guest_upload_limits_hit(gallery=gallery, device=device, address=address)
    if not decision.allowed:
        minutes = max(1, round(decision.retry_after_s / 60))
        raise GuestUploadRefused(
            f"{_LIMIT_MESSAGES.get(decision.refused_by, '')} Please try again in about {minutes} minute"
            f"{'s' if minutes != 1 else ''}.".strip(),
            retry_after_s=decision.retry_after_s,
        )
    try:
        return photo_create(
            gallery=gallery,
            upload=upload,
            filename=filename,
            review=review,
            guest_name=" ".join(guest_name.split())[:GUEST_NAME_MAX_LENGTH],
        )
    except (DuplicatePhoto, StorageUnavailable):
        decision.refund()
        raise


def guest_upload_message(*, gallery: Gallery) -> str:
    """What a guest is told once a photo of theirs is in."""
    return {
        Gallery.GuestUploads.OPEN: "Uploaded: it appears in the gallery in a moment.",
        Gallery.GuestUploads.APPROVAL: "Uploaded: it appears in the gallery once the organizer approves it.",
        Gallery.GuestUploads.DROP_BOX: "Sent to the organizer.",
    }.get(gallery.guest_uploads, "Uploaded.")


@transaction.atomic
def guest_photos_approve(*, photos: Iterable[Photo]) -> int:
    """Shows the guests' photos among `photos` that were held back (waiting, or in the
    drop box); returns how many. Their faces are indexed once they are shown."""
    ids = [photo.pk for photo in photos]
    held_back = Photo.objects.filter(pk__in=ids, uploaded_by_guest=True).exclude(review=Photo.Review.SHOWN)
    approved = list(held_back.only("pk", "gallery_id", "status"))
    Photo.objects.filter(pk__in=[photo.pk for photo in approved]).update(review=Photo.Review.SHOWN)
    for photo in approved:
        photo.review = Photo.Review.SHOWN
        faces_services.photo_faces_queue(photo=photo)
    galleries_touch(gallery_ids={photo.gallery_id for photo in approved})
    return len(approved)


def guest_photos_reject(*, photos: Iterable[Photo]) -> int:
    """Deletes the guests' photos among `photos` that were never shown (waiting, or in
    the drop box), their files once this commits; returns how many."""
    ids = [photo.pk for photo in photos]
    return photos_delete(
        photos=Photo.objects.filter(pk__in=ids, uploaded_by_guest=True).exclude(review=Photo.Review.SHOWN)
    )
