from django.core.management.base import BaseCommand, CommandError

from faces.models import Face
from faces.privacy import galleries_to_purge, gallery_face_data_purge
from galleries.models import Gallery


class Command(BaseCommand):
    help = (
        "Deletes face data and switches Find me off: of one gallery (--gallery), of the galleries whose face "
        "data began more than --older-than days ago, or of all of them (--all). The engine's collections "
        "(Amazon Rekognition) are deleted too. For a retention schedule, run it daily with --older-than."
    )

    def add_arguments(self, parser):
        parser.add_argument("--gallery", metavar="SLUG", help="Only this gallery.")
        parser.add_argument(
            "--older-than", metavar="DAYS", type=int, help="Galleries whose first face was indexed DAYS days ago."
        )
        parser.add_argument("--all", action="store_true", help="Every gallery with face data or Find me on.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be done, and do nothing.")

    def handle(self, *args, gallery=None, older_than=None, all=False, dry_run=False, **options):
        if gallery is None and older_than is None and not all:
            raise CommandError("Say which face data to delete: --gallery SLUG, --older-than DAYS, or --all.")
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than takes a number of days, 0 or more.")
        if gallery is not None and not Gallery.objects.filter(slug=gallery).exists():
            raise CommandError(f"No gallery has the slug {gallery!r}.")
        galleries = galleries_to_purge(slug=gallery, older_than_days=older_than)
        for found in galleries:
            faces = Face.objects.filter(gallery=found).count()
            if dry_run:
                self.stdout.write(f"Would delete the face data ({faces} faces) of {found.slug} and switch Find me off.")
                continue
            collection = gallery_face_data_purge(gallery=found)
            # The collection is deleted by the worker, as when Find me is switched off.
            where = f"; the collection {collection} is queued for deletion" if collection else ""
            self.stdout.write(f"Deleted {faces} faces of {found.slug}{where}; Find me is off.")
        done = "would be purged" if dry_run else "purged"
        self.stdout.write(f"{len(galleries)} gallery(ies) {done}.")
