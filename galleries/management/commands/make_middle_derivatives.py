from django.core.management.base import BaseCommand, CommandError

from eventgallery.progress import ProgressBar
from galleries import services
from galleries.models import Gallery, Photo


class Command(BaseCommand):
    help = (
        "Makes the middle size (PHOTO_MIDDLE_SIZE) of the ready photos processed before it existed, "
        "in every gallery or in one, here and now, from their display images. Photos that have it are "
        "skipped, so running it again after an interruption goes on where it stopped. Until a photo "
        "has one, pages offer its display image instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_slug", nargs="?", help="Only this gallery's photos.")

    def handle(self, *, gallery_slug, verbosity, **options):
        photos = Photo.objects.ready().filter(middle="")
        if gallery_slug:
            try:
                photos = photos.filter(gallery=Gallery.objects.get(slug=gallery_slug))
            except Gallery.DoesNotExist:
                raise CommandError(f"No gallery with the slug {gallery_slug!r}.") from None
        # Ids first: each photo is read again just before its turn, so one processed
        # again, or deleted, meanwhile is seen as it is then.
        photo_ids = list(photos.order_by("pk").values_list("pk", flat=True))
        made, skipped = 0, []
        progress = ProgressBar(self.stderr._out, len(photo_ids)) if verbosity and photo_ids else None
        for photo_id in photo_ids:
            photo = Photo.objects.filter(pk=photo_id).first()
            if photo is not None:
                try:
                    made += services.photo_middle_make(photo=photo)
                except services.MiddleNotMade as exc:
                    skipped.append((photo, str(exc)))
            if progress:
                progress.advance(photo.original_filename if photo else "")
        if progress:
            progress.close()

        self.stdout.write(
            f"Made {made} middle image(s); {len(skipped)} photo(s) skipped (of {len(photo_ids)} without one)."
        )
        for photo, reason in skipped:
            self.stdout.write(
                self.style.ERROR(f"  {photo.gallery.slug}/{photo.original_filename} ({photo.key}): {reason}")
            )
        if skipped:
            raise CommandError(f"{len(skipped)} photo(s) have no middle image yet; their pages use the display image.")
