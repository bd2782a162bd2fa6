from django.core.management.base import BaseCommand, CommandError

from galleries.management.photo_runs import run_each, write_failures
from galleries.models import Gallery
from galleries.services.watermark import photo_watermark_refresh, photos_watermark_stale


class Command(BaseCommand):
    help = (
        "Draws again, here and now, the middle and display images of the ready photos that do not "
        "carry their gallery's watermark as it is now (or carry one it no longer has), in every gallery "
        "or in one, from their originals. Photos that carry it are skipped, so running it again after "
        "an interruption goes on where it stopped. The worker does the same after each change; this is "
        "for operators (a change whose tasks were lost, a worker that keeps failing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_slug", nargs="?", help="Only this gallery's photos.")

    def handle(self, *, gallery_slug, verbosity, **options):
        galleries = Gallery.objects.order_by("pk")
        if gallery_slug:
            galleries = galleries.filter(slug=gallery_slug)
            if not galleries.exists():
                raise CommandError(f"No gallery with the slug {gallery_slug!r}.")
        # Ids first: each photo is read again just before its turn.
        photo_ids = [
            photo_id
            for gallery in galleries
            for photo_id in photos_watermark_stale(gallery=gallery).order_by("pk").values_list("pk", flat=True)
        ]
        drawn, failed = run_each(
            self, photo_ids, lambda photo: photo_watermark_refresh(photo_id=photo.pk), verbosity=verbosity
        )
        self.stdout.write(f"Drew {drawn} photo(s) again; {len(failed)} failed (of {len(photo_ids)} to draw).")
        write_failures(self, failed)
        if failed:
            raise CommandError(f"{len(failed)} photo(s) still carry another watermark than their gallery's.")
