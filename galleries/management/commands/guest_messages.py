"""Extracts the guest-facing strings into locale/<lang>/LC_MESSAGES/django.po for every
language of settings.LANGUAGES but English, then compiles the .mo files; both are
committed, so the site needs no gettext to run. `make messages` runs it; it needs GNU
gettext (bin/install-gettext).

The admin's own templates are left out: the admin follows Django's translations. The
table card (templates/admin/galleries/gallery/share_card.html) is in: guests read it.
eventgallery/tests/test_translations.py extracts the same way to prove the .po files
are up to date.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

# Not extracted: what is not the project's, and the admin's pages other than the table card.
IGNORED = [
    ".venv",
    "staticfiles",
    "media",
    "templates/admin/login.html",
    "templates/admin/locked_out.html",
    "templates/admin/galleries/gallery/_overview.html",
    "templates/admin/galleries/gallery/change_form.html",
    "templates/admin/galleries/widgets/*",
]


def translated_locales() -> list[str]:
    """The locales of the .po files: "de", "zh_Hant"."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]


def extract(**options) -> None:
    """Django's makemessages over the current directory, into the first of LOCALE_PATHS."""
    call_command(
        "makemessages",
        locale=translated_locales(),
        ignore_patterns=IGNORED,
        no_obsolete=True,
        add_location="file",
        verbosity=0,
        **options,
    )


class Command(BaseCommand):
    help = "Extracts the guest-facing strings into locale/*/LC_MESSAGES/django.po and compiles them."

    def handle(self, *args, **options):
        extract()
        call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
        self.stdout.write("Extracted and compiled: " + ", ".join(translated_locales()))
