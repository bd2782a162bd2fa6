"""The languages the site offers, by their names in themselves: for the switcher
(eventgallery/languages.py) and the gallery's default language (galleries.models),
which must not import the choice of a page's language (it reads the galleries)."""

from django.conf import settings


def language_choices() -> list[tuple[str, str]]:
    """The shipped languages with their names in themselves, for the switcher and the admin."""
    names = dict(settings.LANGUAGES)
    return [(code, names.get(code, code)) for code in settings.SHIPPED_LANGUAGES]
