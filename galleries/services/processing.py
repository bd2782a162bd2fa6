"""The worker's part of a photo: derivatives made from the original, the photo marked ready
or failed, retried while the storage is away, and found again when a worker was lost.

A photo's new files are stored before its row names them and the old ones are deleted
only once that has committed; a photo becomes ready, and its gallery's `updated_at` moves,
in one transaction. A photo is processed by one worker at a time (the row is claimed by a
conditional update), and a failure says why in words an organizer can act on.
"""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from eventgallery import transient
from galleries import metadata
from galleries.face_data import photo_faces_queue, photo_privacy
from galleries.imaging import (
    ImageRejected,
    make_derivatives,
    make_middle_derivative,
)
from galleries.models import Gallery, Photo
from galleries.services.photos import (
    DuplicatePhoto,
    enqueue_photo_processing,
    file_sha256_and_size,
    files_delete,
    files_delete_on_commit,
    photo_leftovers_delete,
    photo_storage_name,
)
from galleries.services.watermark import WatermarkLogoMissing, gallery_mark, photos_watermark_queue
from galleries.task_paths import RENDER_PHOTO, task_at
from galleries.task_priorities import PHOTO_SIZES

logger = logging.getLogger(__name__)


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
            Gallery.objects.filter(pk=photo.gallery_id).touch()
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
            privacy = photo_privacy(photo_id=photo.pk)
            derivatives = make_derivatives(original, mark=mark, blur_boxes=privacy.blur_boxes)
    except ImageRejected as exc:
        _mark_failed(photo, str(exc))
        return None
    except Exception as exc:
        _processing_failed(photo, attempt, exc, "The original could not be read from storage")
        return None

    try:
        stored = _derivatives_store(photo, derivatives)
    except Exception as exc:
        _processing_failed(photo, attempt, exc, "The thumbnails could not be stored")
        return None
    sizes = {derivative.kind: len(derivative.content) for derivative in derivatives}
    if not _derivatives_switch(photo, attempt=attempt, stored=stored, sizes=sizes, privacy=privacy):
        files_delete(stored.values())  # deleted, or taken over, while we worked
        return None
    files_delete({photo.thumbnail.name, photo.middle.name, photo.display.name} - {"", *stored.values()})
    photo.refresh_from_db()
    photo_leftovers_delete(photo=photo)
    if index_faces:
        photo_faces_queue(photo=photo)
    # The organizer changed the watermark while we drew the one we read: draw it again.
    photos_watermark_queue(photos=Photo.objects.filter(pk=photo.pk))
    return photo


def _derivatives_store(photo: Photo, derivatives) -> dict[str, str]:
    """Stores the derivatives under the photo's own names and returns them by kind,
    retrying while the storage is away; deletes those it stored before raising."""
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
    except Exception:
        files_delete(stored.values())
        raise
    return stored


def _derivatives_switch(photo: Photo, *, attempt: int, stored: dict[str, str], sizes: dict[str, int], privacy) -> bool:
    """Makes the photo ready with its new files, if this run's claim still holds (a run
    started since, the photo queued again, wins); its gallery's page moves on with it."""
    with transaction.atomic():
        updated = Photo.objects.filter(pk=photo.pk, processing_attempts=attempt).update(
            thumbnail=stored["thumb"],
            middle=stored["middle"],
            display=stored["display"],
            middle_bytes=sizes["middle"],
            display_bytes=sizes["display"],
            watermark=photo.gallery.watermark_signature(),
            status=Photo.Status.READY,
            error="",
            processed_at=timezone.now(),
            hidden=privacy.hidden,
            faces_blurred=bool(privacy.blur_boxes),
        )
        if updated:
            Gallery.objects.filter(pk=photo.gallery_id).touch()
    return bool(updated)


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
        ).update(middle=stored_name, middle_bytes=len(derivative.content))
        if updated:
            Gallery.objects.filter(pk=photo.gallery_id).touch()
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
    Gallery.objects.filter(pk__in=gallery_ids).touch()
    return count


def photos_render_again(*, photo_ids: Iterable[int]) -> int:
    """Queues the derivatives of these photos to be made again (galleries.tasks.render_photo),
    after the faces their hide requests blur changed. Until it is done each photo is
    pending, and so seen by no guest: neither the old rendering nor the original. Call
    inside a transaction; the task is enqueued once it commits."""
    render_photo = task_at(RENDER_PHOTO)

    photo_ids = list(photo_ids)
    Photo.objects.filter(pk__in=photo_ids).update(
        status=Photo.Status.PENDING, error="", processing_attempts=0, queued_at=timezone.now()
    )
    for photo_id in photo_ids:
        transaction.on_commit(partial(render_photo.using(priority=PHOTO_SIZES).enqueue, photo_id=photo_id))
    Gallery.objects.filter(
        pk__in=set(Photo.objects.filter(pk__in=photo_ids).values_list("gallery_id", flat=True))
    ).touch()
    return len(photo_ids)


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
            content_hash, size = file_sha256_and_size(stripped)
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
                Gallery.objects.filter(pk=photo.gallery_id).touch()
    except IntegrityError:  # the same file sent again in the meantime
        files_delete([name])
        raise DuplicatePhoto(photo.gallery.photos.get(content_hash=content_hash)) from None
    if not updated:
        files_delete([name])
    return bool(updated)
