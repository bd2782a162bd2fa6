"""The language cookie (eventgallery/languages.py) is Secure over HTTPS only: a browser
drops a Secure cookie that comes over plain HTTP, and the switcher would do nothing on a
laptop's `make run`."""

import pytest
from django.conf import settings as django_settings

from galleries.tests.factories import make_gallery

pytestmark = pytest.mark.django_db

COOKIE = django_settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def secure_cookies(settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # as SESSION_COOKIE_SECURE in production


def _switch(client, *, secure: bool):
    return client.post("/i18n/setlang/", {"language": "de", "next": "/"}, secure=secure)


def test_it_sets_the_switchers_cookie_without_secure_over_http(client):
    response = _switch(client, secure=False)

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "de"
    assert not response.cookies[COOKIE]["secure"]
    # The browser sends it back, and the next page is in German.
    assert '<html lang="de"' in client.get("/").text


def test_it_keeps_the_switchers_cookie_secure_over_https(client):
    response = _switch(client, secure=True)

    assert response.cookies[COOKIE].value == "de"
    assert response.cookies[COOKIE]["secure"] is True


def test_it_follows_the_scheme_for_a_language_remembered_from_a_link(client):
    gallery = make_gallery()

    over_http = client.get(gallery.get_absolute_url() + "?lang=fr")
    client.cookies.clear()
    over_https = client.get(gallery.get_absolute_url() + "?lang=fr", secure=True)

    assert over_http.cookies[COOKIE].value == "fr" and not over_http.cookies[COOKIE]["secure"]
    assert over_https.cookies[COOKIE].value == "fr" and over_https.cookies[COOKIE]["secure"] is True


def test_it_leaves_secure_off_when_the_setting_is_off_even_over_https(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = False

    assert not _switch(client, secure=True).cookies[COOKIE]["secure"]
