from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from galleries.services.stored_files import ORPHAN_AGE, stored_files_orphaned, stored_files_orphaned_delete


class Command(BaseCommand):
    help = (
        "Deletes the files under galleries/ and watermarks/ that no row names and that are older than "
        "--hours (a delete the storage did not answer, a save whose answer was lost). The worker does this daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=float,
            default=ORPHAN_AGE.total_seconds() / 3600,
            help="Only files stored at least this many hours ago (default: %(default)s): a younger one may be on "
            "its way to a row.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the files, and delete nothing.")

    def handle(self, *args, hours: float, dry_run=False, **options):
        stored_before = timezone.now() - timedelta(hours=hours)
        if dry_run:
            orphans = stored_files_orphaned(stored_before=stored_before)
            for stored in orphans:
                self.stdout.write(f"{stored.name} (stored {stored.modified_at.isoformat(timespec='seconds')})")
            self.stdout.write(f"{len(orphans)} file(s) without a row; nothing deleted.")
            return
        deleted = stored_files_orphaned_delete(stored_before=stored_before)
        self.stdout.write(f"{deleted} file(s) without a row deleted.")
