from django.core.management.base import BaseCommand, CommandError

from eventgallery.progress import ProgressBar
from galleries import services
from galleries.models import Gallery, Photo


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
            for photo_id in services.photos_watermark_stale(gallery=gallery).order_by("pk").values_list("pk", flat=True)
        ]
        drawn, failed = 0, []
        progress = ProgressBar(self.stderr._out, len(photo_ids)) if verbosity and photo_ids else None
        for photo_id in photo_ids:
            photo = Photo.objects.filter(pk=photo_id).first()
            try:
                drawn += services.photo_watermark_refresh(photo_id=photo_id)
            except Exception as exc:
                failed.append((photo, f"{type(exc).__name__}: {exc}"[:200]))
            if progress:
                progress.advance(photo.original_filename if photo else "")
        if progress:
            progress.close()

        self.stdout.write(f"Drew {drawn} photo(s) again; {len(failed)} failed (of {len(photo_ids)} to draw).")
        for photo, reason in failed:
            self.stdout.write(
                self.style.ERROR(f"  {photo.gallery.slug}/{photo.original_filename} ({photo.key}): {reason}")
            )
        if failed:
            raise CommandError(f"{len(failed)} photo(s) still carry another watermark than their gallery's.")
