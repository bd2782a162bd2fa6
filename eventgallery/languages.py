"""The language of a page.

A guest's page is in the first of these that names a shipped language
(settings.SHIPPED_LANGUAGES, the complete translations):

1. `?lang=xx` in the address: a table card's QR code carries its card's language. A
   guest who has not chosen a language yet keeps it (the language cookie is set), so
   the pages they open from there stay in it; a choice they made is never overwritten.
2. The guest's own choice, remembered in the language cookie (the switcher in the
   footer posts to Django's set_language view).
3. The browser's Accept-Language.
4. On a gallery's pages (/g/<slug>/...), the gallery's default language, the
   organizer's choice (Gallery.default_language; blank: the site's).
5. English (LANGUAGE_CODE).

The admin follows 2, 3 and 5, with Django's own translations; the API (for programs)
is always in English.

What a page is in depends on the cookie and Accept-Language: every response says so
(Vary), and the gallery pages that views keep whole in the cache are kept per
language: `cache_key` (the cache's KEY_FUNCTION) adds the active language to their
keys ("gallery-page:..."), so a German guest never gets the page made for an English
one. The gallery default is read from the cache for a minute, so a page costs no
query for it: an organizer's change reaches guests within that minute.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

GALLERY_PATH = re.compile(r"^/g/(?P<slug>[-\w]+)/")
# Chinese written in Traditional characters: Taiwan, Hong Kong, Macao.
TRADITIONAL_CHINESE_REGIONS = {"tw", "hk", "mo", "hant"}
GALLERY_LANGUAGE_SECONDS = 60
# The prefix of the keys under which galleries/views.py keeps rendered pages.
PAGE_CACHE_PREFIX = "gallery-page:"


def shipped_language(code: str | None) -> str | None:
    """The shipped language that serves `code` ("de-AT" → "de", "zh-TW" → "zh-hant"), or None."""
    if not code:
        return None
    parts = code.strip().lower().replace("_", "-").split("-")
    language = parts[0]
    if language == "zh":
        language = "zh-hant" if TRADITIONAL_CHINESE_REGIONS.intersection(parts[1:]) else ""
    return language if language in settings.SHIPPED_LANGUAGES else None


def browser_language(accept_language: str) -> str | None:
    for code, _quality in parse_accept_lang_header(accept_language):
        if code != "*" and (language := shipped_language(code)):
            return language
    return None


def gallery_default_language(slug: str) -> str | None:
    from galleries.models import Gallery

    key = f"gallery-language:{slug}"
    language = cache.get(key)
    if language is None:
        try:
            language = Gallery.objects.filter(slug=slug).values_list("default_language", flat=True).first() or ""
        except DatabaseError:  # the page itself says what is wrong (ops/outages.py)
            return None
        cache.set(key, language, GALLERY_LANGUAGE_SECONDS)
    return shipped_language(language)


def request_language(request) -> tuple[str, bool]:
    """The language of this request (module docstring) and whether a `?lang=` is to be remembered."""
    path = request.path_info
    if path.startswith("/api/"):
        return settings.LANGUAGE_CODE, False
    remembered = shipped_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if not path.startswith("/admin/") and (asked := shipped_language(request.GET.get("lang"))):
        return asked, remembered is None
    if remembered:
        return remembered, False
    if language := browser_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        return language, False
    if (match := GALLERY_PATH.match(path)) and (language := gallery_default_language(match["slug"])):
        return language, False
    return settings.LANGUAGE_CODE, False


class GuestLanguageMiddleware:
    """Activates the language of each request (module docstring), in place of Django's LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language, remember = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if not request.path_info.startswith("/api/"):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            response.headers.setdefault("Content-Language", language)
            if remember:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
            language_cookie_secure_for(request, response)
        return response


def language_cookie_secure_for(request, response) -> None:
    """A language cookie set on this response (the `?lang=` remembered above, or the
    switcher's choice, which Django's set_language view sets) is Secure only over HTTPS:
    a browser drops a Secure cookie sent over plain HTTP (`make run` on a laptop, reached
    by its address), and the switcher would then seem to do nothing. A language is no
    secret; over HTTPS the cookie stays Secure as SESSION_COOKIE_SECURE asks."""
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie is not None and not request.is_secure():
        cookie["secure"] = ""


def cache_key(key: str, key_prefix: str, version) -> str:
    """The cache's KEY_FUNCTION: Django's key, with the active language for rendered gallery pages."""
    if key.startswith(PAGE_CACHE_PREFIX):
        key = f"{key}:lang={translation.get_language() or settings.LANGUAGE_CODE}"
    return f"{key_prefix}:{version}:{key}"
