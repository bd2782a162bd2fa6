"""What the commands that do one thing to each photo share (rewatermark,
make_middle_derivatives, strip_photo_metadata): an optional gallery, the photos read
again just before their turn, a progress bar, and the photos it failed for named with
the reason."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from eventgallery.progress import ProgressBar
from galleries.models import Gallery, Photo


def photos_of_gallery(photos: QuerySet[Photo], gallery_slug: str | None) -> QuerySet[Photo]:
    """`photos`, of the gallery at `gallery_slug` only when one is given."""
    if not gallery_slug:
        return photos
    gallery = Gallery.objects.filter(slug=gallery_slug).first()
    if gallery is None:
        raise CommandError(f"No gallery with the slug {gallery_slug!r}.")
    return photos.filter(gallery=gallery)


def run_each(
    command: BaseCommand,
    photo_ids: list[int],
    act: Callable[[Photo], int],
    *,
    verbosity: int,
    errors: tuple[type[Exception], ...] = (Exception,),
    reason: Callable[[Exception], str] = lambda exc: f"{type(exc).__name__}: {exc}"[:200],
) -> tuple[int, list[tuple[Photo, str]]]:
    """act(photo) for each photo, read again just before its turn (one deleted meanwhile
    is passed over), with a progress bar on stderr. Returns the sum of what act returned
    and, for each photo whose act raised one of `errors`, the photo and the reason."""
    done, failed = 0, []
    progress = ProgressBar(command.stderr._out, len(photo_ids)) if verbosity and photo_ids else None
    for photo_id in photo_ids:
        photo = Photo.objects.select_related("gallery").filter(pk=photo_id).first()
        if photo is not None:
            try:
                done += act(photo)
            except errors as exc:
                failed.append((photo, reason(exc)))
        if progress:
            progress.advance(photo.original_filename if photo else "")
    if progress:
        progress.close()
    return done, failed


def write_failures(command: BaseCommand, failed: list[tuple[Photo, str]]) -> None:
    for photo, why in failed:
        command.stdout.write(
            command.style.ERROR(f"  {photo.gallery.slug}/{photo.original_filename} ({photo.key}): {why}")
        )
