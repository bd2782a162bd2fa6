from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import api_key_create


class Command(BaseCommand):
    help = "Creates an API key for an organizer and prints it (as the last word): it is not shown again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Created with create_api_key", help="What the key is for.")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{username} is not an active organizer (staff): their key would be refused.")
        _, key = api_key_create(user=user, name=name)
        self.stdout.write(f"API key for {username} (shown once, keep it safe): {key}")
