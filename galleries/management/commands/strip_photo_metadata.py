from django.core.management.base import BaseCommand, CommandError

from galleries.management.photo_runs import photos_of_gallery, run_each, write_failures
from galleries.models import Photo
from galleries.services.photos import PhotoUploadError
from galleries.services.processing import photo_original_strip


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
        photo_ids = list(photos_of_gallery(Photo.objects.order_by("pk"), gallery_slug).values_list("pk", flat=True))
        stripped, failed = run_each(
            self,
            photo_ids,
            lambda photo: photo_original_strip(photo_id=photo.pk),
            verbosity=verbosity,
            reason=lambda exc: str(exc) if isinstance(exc, PhotoUploadError) else f"{type(exc).__name__}: {exc}"[:200],
        )
        self.stdout.write(
            f"Took the personal metadata out of {stripped} original(s); {len(failed)} failed "
            f"(of {len(photo_ids)} looked at)."
        )
        write_failures(self, failed)
        if failed:
            raise CommandError(f"{len(failed)} original(s) could not be edited.")
