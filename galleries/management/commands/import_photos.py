from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eventgallery.progress import ProgressBar
from galleries.models import Gallery
from galleries.services.folder_import import ImportReport, folder_scan, photo_import_file


class Command(BaseCommand):
    help = (
        "Imports every image below a folder into a gallery. Files the gallery already has "
        "(same content) are skipped, so re-running after an interruption is safe; those it has "
        "as failed photos are processed again. Hidden files and sidecars (.xmp, .THM, notes) are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_slug")
        parser.add_argument("folder", type=Path)

    def handle(self, *, gallery_slug, folder, verbosity, **options):
        try:
            gallery = Gallery.objects.get(slug=gallery_slug)
        except Gallery.DoesNotExist:
            raise CommandError(f"No gallery with the slug {gallery_slug!r}.") from None
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")

        scan = folder_scan(folder)
        paths = scan.photos
        report = ImportReport()
        progress = ProgressBar(self.stderr._out, len(paths)) if verbosity else None
        for path in paths:
            photo_import_file(gallery=gallery, path=path, report=report)
            if progress:
                progress.advance(path.name)
        if progress:
            progress.close()

        self.stdout.write(
            f"Imported {len(report.imported)}, queued again {len(report.requeued)}, "
            f"already there {len(report.already_there)}, failed {len(report.failed)} "
            f"(of {len(paths)} files in {folder})."
        )
        if scan.skipped:
            self.stdout.write(f"Skipped {scan.skipped_summary()}.")
        for path in report.requeued:
            self.stdout.write(f"  {path.relative_to(folder)}: had failed; processed again")
        for path, reason in report.failed:
            self.stdout.write(self.style.ERROR(f"  {path.relative_to(folder)}: {reason}"))
        if report.imported or report.requeued:
            self.stdout.write("The photos are processed in the background by the worker (manage.py run_worker).")
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) could not be imported; the others were.")
