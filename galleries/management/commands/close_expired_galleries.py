from django.core.management.base import BaseCommand

from galleries.services.closing import galleries_close_expired


class Command(BaseCommand):
    help = (
        "Deletes the face data of galleries past their closing time and switches Find me off for them. "
        "Safe to run every minute: it does nothing once they are done."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be done, and do nothing.")

    def handle(self, *args, dry_run=False, **options):
        galleries = galleries_close_expired(dry_run=dry_run)
        verb = "Would switch Find me off and delete the face data of" if dry_run else "Switched Find me off for"
        for gallery in galleries:
            closed_at = gallery.closes_at.isoformat(timespec="minutes")
            self.stdout.write(f"{verb} {gallery.slug} (id {gallery.pk}, closed at {closed_at}).")
        # Quiet when there is nothing to do: it runs every minute.
        if galleries or options["verbosity"] > 1:
            done = "to close" if dry_run else "closed"
            self.stdout.write(f"{len(galleries)} gallery(ies) {done}.")
