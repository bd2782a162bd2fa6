from django.core.management.base import BaseCommand, CommandError

from galleries.management.photo_runs import photos_of_gallery, run_each, write_failures
from galleries.models import Photo
from galleries.services.processing import MiddleNotMade, photo_middle_make


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
        photos = photos_of_gallery(Photo.objects.ready().filter(middle=""), gallery_slug)
        # Ids first: each photo is read again just before its turn, so one processed
        # again, or deleted, meanwhile is seen as it is then.
        photo_ids = list(photos.order_by("pk").values_list("pk", flat=True))
        made, skipped = run_each(
            self,
            photo_ids,
            lambda photo: photo_middle_make(photo=photo),
            verbosity=verbosity,
            errors=(MiddleNotMade,),
            reason=str,
        )
        self.stdout.write(
            f"Made {made} middle image(s); {len(skipped)} photo(s) skipped (of {len(photo_ids)} without one)."
        )
        write_failures(self, skipped)
        if skipped:
            raise CommandError(f"{len(skipped)} photo(s) have no middle image yet; their pages use the display image.")
