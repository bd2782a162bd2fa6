"""The gallery page is sent gzipped to browsers that accept it, but only when it is the
same for everyone who gets it: a page that holds its visitor's CSRF token is sent as
it is, so that its compressed size tells an attacker nothing (BREACH)."""

import gzip

import pytest
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect
from django.test import Client
from django.urls import path

from eventgallery.urls import urlpatterns as project_urlpatterns
from galleries.models import Gallery
from galleries.page_cache import gallery_page_cache as _page_cache
from galleries.tests.factories import bulk_ready_photos, make_gallery, upload_photo

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}


def _csrf_form_in_gallery_page(settings):
    # A gallery page with a form on it (as a selfie search's would be) carries its visitor's CSRF token.
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "galleries/gallery_detail.html": (
                                '{% extends "base.html" %}{% block content %}'
                                '<form method="post">{% csrf_token %}</form>{{ grid }}{% endblock %}'
                            )
                        },
                    ),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]


def test_it_sends_the_gallery_page_gzipped_when_asked_from_the_first_visit_on(db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 40)
    plain = Client().get(gallery.get_absolute_url())

    first = Client().get(gallery.get_absolute_url(), **GZIP)
    cached = Client().get(gallery.get_absolute_url(), **GZIP)

    for response in (first, cached):
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert gzip.decompress(response.content) == plain.content
    # A page of tiles is mostly repeated markup: it shrinks to well under a third.
    assert len(first.content) < len(plain.content) / 3
    assert cached.content == first.content


def test_it_sends_the_infinite_scrolls_tiles_gzipped_too(db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 70)
    plain = Client().get(gallery.get_absolute_url(), {"page": 2, "fragment": 1})

    response = Client().get(gallery.get_absolute_url(), {"page": 2, "fragment": 1}, **GZIP)

    assert "Content-Encoding" not in plain.headers and plain.text.count('class="tile"') == 10
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.content) == plain.content


def test_it_sends_the_page_uncompressed_to_a_browser_that_does_not_accept_gzip(db):
    gallery = make_gallery()
    upload_photo(gallery)
    Client().get(gallery.get_absolute_url(), **GZIP)  # the cached page holds the gzipped bytes too

    for accept in ({}, {"HTTP_ACCEPT_ENCODING": "identity"}, {"HTTP_ACCEPT_ENCODING": "br, gzip;q=0"}):
        response = Client().get(gallery.get_absolute_url(), **accept)
        assert "Content-Encoding" not in response.headers
        assert "Accept-Encoding" in response.headers["Vary"]
        assert f"<title>{gallery.name}" in response.text


def test_it_gzips_a_signed_in_visitors_own_cached_page(organizer_client, organizer):
    gallery = make_gallery(owner=organizer)
    upload_photo(gallery)

    response = organizer_client.get(gallery.get_absolute_url(), **GZIP)

    assert response.headers["Content-Encoding"] == "gzip"
    assert gallery.name in gzip.decompress(response.content).decode()


def test_it_never_gzips_a_gallery_page_that_holds_a_csrf_token(db, settings):
    _csrf_form_in_gallery_page(settings)
    gallery = make_gallery()
    upload_photo(gallery)

    for _ in range(2):  # neither as made nor (were it kept) from the cache
        response = Client().get(gallery.get_absolute_url(), **GZIP)
        assert "Content-Encoding" not in response.headers
        assert "csrfmiddlewaretoken" in response.text


@pytest.mark.parametrize("page", ["access", "upload"])
def test_it_never_gzips_the_other_pages_with_a_form(db, page):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, guest_uploads=Gallery.GuestUploads.OPEN)
    client = Client()
    if page == "upload":
        client.post(f"/g/{gallery.slug}/access/", {"code": gallery.access_code})

    response = client.get(f"/g/{gallery.slug}/{page}/", **GZIP)

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.text
    assert "Content-Encoding" not in response.headers


def _welcome(request, slug):
    messages.info(request, "Welcome back!")
    return redirect("galleries:detail", slug=slug)


urlpatterns = [path("test/welcome/<slug:slug>/", _welcome), *project_urlpatterns]


def test_it_never_gzips_a_page_with_a_message_for_its_visitor(db, settings):
    settings.ROOT_URLCONF = __name__
    gallery = make_gallery()
    upload_photo(gallery)
    client = Client()
    client.get(gallery.get_absolute_url(), **GZIP)

    response = client.get(f"/test/welcome/{gallery.slug}/", follow=True, **GZIP)

    assert "Welcome back!" in response.text
    assert "Content-Encoding" not in response.headers
    assert client.get(gallery.get_absolute_url(), **GZIP).headers["Content-Encoding"] == "gzip"


def test_a_page_cached_by_the_code_before_compression_is_never_read(db):
    # A shared cache (Redis) outlives a deployment: what the older code kept is left to expire.
    gallery = make_gallery()
    upload_photo(gallery)
    cache_key, _ = _page_cache(gallery)
    cache.set(f"{cache_key}:page:1:anonymous", b"<p>an older page</p>")

    response = Client().get(gallery.get_absolute_url(), **GZIP)

    assert response.status_code == 200
    assert b"older page" not in gzip.decompress(response.content)
