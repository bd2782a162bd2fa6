"""Watermarks: a gallery's watermark is drawn into the middle and display images by the
worker, never into the originals; each photo records the watermark it carries
(Photo.watermark). When the organizer changes it, the ready photos are drawn again from
their originals, a task per photo (photo_watermark_refresh): new files stored, the row
switched to them, the old files deleted after, the page's cache moved on.
"""

import functools
import io
import logging
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from eventgallery import transient
from galleries import watermark
from galleries.face_data import photo_privacy
from galleries.imaging import (
    make_derivatives,
    open_upright_rgb,
)
from galleries.models import Gallery, Photo
from galleries.services.photos import files_delete, files_delete_on_commit, photo_leftovers_delete, photo_storage_name
from galleries.task_paths import REFRESH_PHOTO_WATERMARK, task_at
from galleries.task_priorities import UPKEEP
from ops import services as ops_services

logger = logging.getLogger(__name__)


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
    refresh_photo_watermark = task_at(REFRESH_PHOTO_WATERMARK)

    live = ops_services.tasks_live_arguments(task=refresh_photo_watermark, argument="photo_id")
    count = 0
    for photo in photos.ready().select_related("gallery").only("pk", "watermark", "gallery"):
        if photo.watermark != photo.gallery.watermark_signature() and photo.pk not in live:
            transaction.on_commit(partial(refresh_photo_watermark.using(priority=UPKEEP).enqueue, photo_id=photo.pk))
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
        privacy = photo_privacy(photo_id=photo.pk)
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
        ).update(
            middle=stored["middle"],
            display=stored["display"],
            middle_bytes=len(derivatives["middle"].content),
            display_bytes=len(derivatives["display"].content),
            watermark=signature,
        )
        if updated:
            Gallery.objects.filter(pk=photo.gallery_id).touch()
    if not updated:  # deleted, processed again or drawn by another run meanwhile
        files_delete(stored.values())
        return False
    files_delete({photo.middle.name, photo.display.name} - {"", *stored.values()})
    photo.refresh_from_db()
    photo_leftovers_delete(photo=photo)  # files of a run that stopped before switching the row
    return True


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
