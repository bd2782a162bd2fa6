"""Galleries made, renamed and deleted, and the cover chosen.

A gallery's slug is unique: a taken one gets a random suffix rather than an error
(gallery_free_slug), which would tell the caller that someone else's gallery is there.
Deleting a gallery deletes its face data in the same transaction and its files once
that has committed.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from galleries.face_data import gallery_faces_forget
from galleries.models import Gallery, Photo
from galleries.services.photos import files_delete_on_commit


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
    gallery.delete()
    files_delete_on_commit([*names, gallery.watermark_logo.name])


def gallery_set_cover(*, gallery: Gallery, photo: Photo) -> None:
    if photo.gallery_id != gallery.pk:
        raise ValueError("The cover must be a photo of the same gallery.")
    gallery.cover = photo
    gallery.save(update_fields=["cover", "updated_at"])
