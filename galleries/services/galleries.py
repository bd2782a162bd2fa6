"""Galleries made, renamed and deleted, and the cover chosen.

A gallery's slug is unique: a taken one gets a random suffix rather than an error
(gallery_free_slug), which would tell the caller that someone else's gallery is there.
Deleting a gallery deletes its face data in the same transaction and its files once
that has committed; a storage that does not answer then leaves them to the daily sweep
of files without a row (stored_files). Nothing here waits for the storage before the
commit: a gallery is deleted or its cover changed while S3 is away.
"""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from galleries.face_data import gallery_face_search_switched, gallery_faces_forget
from galleries.hero import phone_hero_names
from galleries.models import Gallery, Photo
from galleries.services.closing import gallery_close
from galleries.services.photos import files_delete, files_delete_on_commit
from galleries.services.watermark import gallery_watermark_saved

logger = logging.getLogger(__name__)


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
    gallery_faces_forget(gallery=gallery)
    names = [
        name
        for fields in gallery.photos.values_list("original", "thumbnail", "middle", "display")
        for name in fields
        if name
    ]
    gallery_id = gallery.pk
    gallery.delete()
    files_delete_on_commit([*names, gallery.watermark_logo.name])
    _phone_heroes_delete_on_commit(gallery_id=gallery_id)


def gallery_set_cover(*, gallery: Gallery, photo: Photo) -> None:
    if photo.gallery_id != gallery.pk:
        raise ValueError("The cover must be a photo of the same gallery.")
    gallery.cover = photo
    gallery.save(update_fields=["cover", "updated_at"])
    _phone_heroes_delete_on_commit(gallery_id=gallery.pk)  # made again for the new cover when a phone asks


def _phone_heroes_delete_on_commit(*, gallery_id: int) -> None:
    """Listed once the rows are saved, not before: a storage that does not answer then
    leaves them to the next hero made (which deletes the others) or, the gallery gone,
    to the sweep."""

    def delete() -> None:
        try:
            names = phone_hero_names(gallery_id)
        except Exception:
            logger.exception("Could not list the phone heroes of gallery %s", gallery_id)
            return
        files_delete(names)

    transaction.on_commit(delete)


@dataclass(frozen=True)
class GallerySaved:
    """What saving a gallery set going, for the organizer to be told."""

    redrawn: int  # photos queued to be drawn again with a changed watermark
    face_search_queued: int | None  # Find me switched on: photos queued for indexing (None: not switched on)
    face_data_deleted: bool  # Find me switched off: the face data went
    closed: bool  # the gallery has closed: Find me off, its face data deleted at once


def gallery_save(*, gallery: Gallery, changed: Iterable[str]) -> GallerySaved:
    """Saves an organizer's edit of a gallery (validated already; `changed`: the fields
    they changed) and what follows from it: the photos drawn again when the watermark
    changed (watermark.gallery_watermark_saved), the face indexing queued or the face
    data deleted when Find me was switched, and, for a gallery whose closing time has
    passed with Find me on, what closing does (closing.gallery_close) at once rather than
    within the minute close_expired_galleries takes."""
    changed = set(changed)
    logo_before = Gallery.objects.filter(pk=gallery.pk).values_list("watermark_logo", flat=True).first() or ""
    gallery.save()
    if changed & {"cover", "cover_focal_x", "cover_focal_y"}:
        _phone_heroes_delete_on_commit(gallery_id=gallery.pk)  # made again when a phone asks
    redrawn = gallery_watermark_saved(gallery=gallery, logo_before=logo_before)
    queued, deleted = None, False
    if "face_search_enabled" in changed:
        switched = gallery_face_search_switched(gallery=gallery)
        queued, deleted = (switched, False) if gallery.face_search_enabled else (None, True)
    closed = gallery.is_closed() and gallery.face_search_enabled
    if closed:
        gallery_close(gallery=gallery)
    return GallerySaved(redrawn=redrawn, face_search_queued=queued, face_data_deleted=deleted, closed=closed)
