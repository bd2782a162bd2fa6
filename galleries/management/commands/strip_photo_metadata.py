from django.core.management.base import BaseCommand, CommandError

from eventgallery.progress import ProgressBar
from galleries import services
from galleries.models import Gallery, Photo


class Command(BaseCommand):
    help = (
        "Takes the location (and, from guests' photos, the other personal metadata) out of the "
        "originals stored before uploads were stripped at ingest, in every gallery or in one, without "
        "encoding the images again. Each edited original is stored under a new name before its photo "
        "names it, and the old file deleted after. Originals without any are left as they are, so running "
        "it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_slug", nargs="?", help="Only this gallery's photos.")

    def handle(self, *, gallery_slug, verbosity, **options):
        photos = Photo.objects.order_by("pk")
        if gallery_slug:
            gallery = Gallery.objects.filter(slug=gallery_slug).first()
            if gallery is None:
                raise CommandError(f"No gallery with the slug {gallery_slug!r}.")
            photos = photos.filter(gallery=gallery)
        # Ids first: each photo is read again just before its turn.
        photo_ids = list(photos.values_list("pk", flat=True))
        stripped, failed = 0, []
        progress = ProgressBar(self.stderr._out, len(photo_ids)) if verbosity and photo_ids else None
        for photo_id in photo_ids:
            photo = Photo.objects.select_related("gallery").filter(pk=photo_id).first()
            try:
                stripped += services.photo_original_strip(photo_id=photo_id)
            except Exception as exc:
                failed.append(
                    (
                        photo,
                        str(exc)
                        if isinstance(exc, services.PhotoUploadError)
                        else f"{type(exc).__name__}: {exc}"[:200],
                    )
                )
            if progress:
                progress.advance(photo.original_filename if photo else "")
        if progress:
            progress.close()

        self.stdout.write(
            f"Took the personal metadata out of {stripped} original(s); {len(failed)} failed "
            f"(of {len(photo_ids)} looked at)."
        )
        for photo, reason in failed:
            self.stdout.write(
                self.style.ERROR(f"  {photo.gallery.slug}/{photo.original_filename} ({photo.key}): {reason}")
            )
        if failed:
            raise CommandError(f"{len(failed)} original(s) could not be edited.")
