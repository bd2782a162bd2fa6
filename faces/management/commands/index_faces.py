from django.core.management.base import BaseCommand, CommandError

from eventgallery.progress import ProgressBar
from faces.models import PhotoFaces
from faces.services.indexing import photo_faces_index
from galleries.models import Gallery


class Command(BaseCommand):
    help = (
        "Indexes the faces of the ready photos of galleries with Find me switched on (one gallery, or all), "
        "here and now rather than in the worker. Photos already indexed are skipped unless --reindex."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_slug", nargs="?", help="Only this gallery (default: every gallery with Find me).")
        parser.add_argument("--reindex", action="store_true", help="Index photos again even if they are indexed.")

    def handle(self, *, gallery_slug, reindex, verbosity, **options):
        galleries = Gallery.objects.filter(face_search_enabled=True)
        if gallery_slug:
            gallery = Gallery.objects.filter(slug=gallery_slug).first()
            if gallery is None:
                raise CommandError(f"No gallery with the slug {gallery_slug!r}.")
            if not gallery.face_search_enabled:
                raise CommandError(f"Find me is off for {gallery.name!r}: switch it on in the admin first.")
            galleries = galleries.filter(pk=gallery.pk)

        photo_ids = []
        for gallery in galleries:
            photos = gallery.photos.ready().in_display_order()
            if not reindex:
                photos = photos.exclude(face_index__status=PhotoFaces.Status.INDEXED)
            photo_ids.extend(photos.values_list("pk", flat=True))

        progress = ProgressBar(self.stderr._out, len(photo_ids)) if verbosity else None
        indexed = faces = 0
        failed = []
        for photo_id in photo_ids:
            result = photo_faces_index(photo_id=photo_id)
            if result is not None and result.status == PhotoFaces.Status.INDEXED:
                indexed += 1
                faces += result.face_count
            elif result is not None:
                failed.append((result.photo.original_filename, result.error))
            if progress:
                progress.advance()
        if progress:
            progress.close()

        self.stdout.write(f"Indexed {indexed} photo(s), {faces} face(s); {len(failed)} failed.")
        for name, reason in failed:
            self.stdout.write(self.style.ERROR(f"  {name}: {reason}"))
        if failed:
            raise CommandError(f"{len(failed)} photo(s) could not be indexed; the others were.")
