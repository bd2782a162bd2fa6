import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import organizer_create

PASSWORD_VARIABLE = "ORGANIZER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Makes an organizer account: it signs in to the admin and sees and changes only its own "
        "galleries. The password is asked for, or read from the ORGANIZER_PASSWORD environment "
        "variable when there is no terminal; an existing account is made an organizer."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="No password: the organizer signs in through single sign-on, or gets one later.",
        )

    def handle(self, *, username, email, no_password, **options):
        password = None if no_password else self._password()
        try:
            user = organizer_create(username=username, email=email, password=password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"{user.username} is an organizer: they sign in at /admin/.")

    def _password(self) -> str | None:
        if PASSWORD_VARIABLE in os.environ:
            return os.environ[PASSWORD_VARIABLE]
        if not sys.stdin.isatty():
            raise CommandError(f"No terminal to ask for a password: set {PASSWORD_VARIABLE} or pass --no-password.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords did not match.")
        return password
