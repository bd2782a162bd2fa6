from django.core.management.base import BaseCommand

from api.services import pending_uploads_clean


class Command(BaseCommand):
    help = "Deletes the API uploads never attached to a gallery within a day, with their files. Run it daily."

    def handle(self, *args, **options):
        count = pending_uploads_clean()
        self.stdout.write(f"{count} upload(s) deleted.")
