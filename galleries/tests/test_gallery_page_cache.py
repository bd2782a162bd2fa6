"""The gallery page comes from the cache until something it shows changes, and the
cache never shows anyone what they may not see."""

import time
from pathlib import Path

import pytest
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.shortcuts import redirect
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from eventgallery.urls import urlpatterns as project_urlpatterns
from galleries.models import Gallery
from galleries.services.photos import photo_delete, photos_delete
from galleries.services.processing import photo_process, photo_reprocess
from galleries.tests.factories import bulk_ready_photos, make_gallery, upload_photo


def _get(client, gallery, **params):
    """The response and the number of SQL queries it took, asked as a browser asks: without
    Accept-Language a page also reads the gallery's default language (eventgallery/languages.py)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(gallery.get_absolute_url(), params, headers={"Accept-Language": "en-GB,en;q=0.9"})
    return response, len(queries)


def cache_reads(monkeypatch) -> list[str]:
    """The keys the cache is asked for from now on, in order."""
    read = []
    original_get = cache.get

    def get(key, *args, **kwargs):
        read.append(key)
        return original_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    return read


def _admin_change(organizer_client, gallery, **fields):
    """Saves the gallery through the admin's change form, as an organizer does."""
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "event_date": "",
        "description": gallery.description,
        "cover": "",
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "owner": "",
        **({"is_published": "on"} if gallery.is_published else {}),
    }
    data.update(fields)
    data = {name: value for name, value in data.items() if value is not None}
    response = organizer_client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", data)
    assert response.status_code == 302, response.text


def test_a_second_visit_comes_from_the_cache(client, db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 70)

    first, first_queries = _get(client, gallery, page=2)
    again, again_queries = _get(client, gallery, page=2)
    fragment, fragment_queries = _get(client, gallery, page=2, fragment=1)

    assert (first_queries, again_queries) == (4, 1)
    assert again.content == first.content
    assert again.text.count('class="tile"') == 10
    assert fragment_queries == 1  # the page's tiles are the fragment's too
    assert fragment.text.count('class="tile"') == 10
    assert "<html" not in fragment.text


def test_a_photo_shows_as_soon_as_it_is_processed(client, db):
    gallery = make_gallery()
    first = upload_photo(gallery)
    assert "1 photo\n" in client.get(gallery.get_absolute_url()).text

    pending = upload_photo(gallery, process=False)
    assert str(pending.key) not in client.get(gallery.get_absolute_url()).text

    photo_process(photo_id=pending.pk)
    html = client.get(gallery.get_absolute_url()).text
    assert str(first.key) in html and str(pending.key) in html
    assert "2 photos" in html
    assert str(pending.key) in client.get(gallery.get_absolute_url(), {"fragment": 1}).text


def test_a_deleted_photo_goes_at_once(client, db):
    gallery = make_gallery()
    kept, deleted = upload_photo(gallery), upload_photo(gallery)
    assert str(deleted.key) in client.get(gallery.get_absolute_url()).text
    assert str(deleted.key) in client.get(gallery.get_absolute_url(), {"fragment": 1}).text

    photo_delete(photo=deleted)

    html = client.get(gallery.get_absolute_url()).text
    assert str(deleted.key) not in html and str(kept.key) in html
    assert "1 photo\n" in html
    assert str(deleted.key) not in client.get(gallery.get_absolute_url(), {"fragment": 1}).text


def test_photos_deleted_together_go_from_each_of_their_galleries(client, db):
    galleries = [make_gallery(), make_gallery()]
    photos = [upload_photo(gallery) for gallery in galleries]
    for gallery in galleries:
        client.get(gallery.get_absolute_url())

    photos_delete(photos=photos)

    for gallery in galleries:
        assert "No photos here yet" in client.get(gallery.get_absolute_url()).text


def test_a_deleted_photo_goes_when_deleted_in_the_admin(client, organizer_client, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text

    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(
            "/admin/galleries/photo/", {"action": "delete_selected", "_selected_action": [photo.pk], "post": "yes"}
        )

    assert str(photo.key) not in client.get(gallery.get_absolute_url()).text


def test_a_photo_processed_again_leaves_the_page_until_it_is_ready(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text

    photo_reprocess(photos=[photo])  # the task runs once the transaction commits
    assert str(photo.key) not in client.get(gallery.get_absolute_url()).text

    photo_process(photo_id=photo.pk)
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text


def test_a_ready_photo_that_fails_when_processed_again_leaves_the_page(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text
    Path(photo.original.path).write_bytes(b"no longer a photo")

    assert photo_process(photo_id=photo.pk) is None

    assert str(photo.key) not in client.get(gallery.get_absolute_url()).text


def test_an_edit_in_the_admin_shows_at_once(client, organizer_client):
    gallery = make_gallery(name="Summer party")
    photo = upload_photo(gallery)
    assert "Summer party" in client.get(gallery.get_absolute_url()).text

    _admin_change(organizer_client, gallery, name="Summer party 2026", description="Thanks for coming!")

    html = client.get(gallery.get_absolute_url()).text
    assert ">Summer party 2026</h1>" in html
    assert "Thanks for coming!" in html
    assert f"/g/{gallery.slug}/p/{photo.key}/" in html


def test_a_new_address_shows_in_the_links_of_the_tiles(client, organizer_client):
    gallery = make_gallery(slug="summer")
    photo = upload_photo(gallery)
    assert "/g/summer/p/" in client.get("/g/summer/").text

    _admin_change(organizer_client, gallery, slug="summer-2026")

    html = client.get("/g/summer-2026/").text
    assert f"/g/summer-2026/p/{photo.key}/" in html
    assert "/g/summer/p/" not in html
    assert client.get("/g/summer/").status_code == 404


def test_the_draft_badge_goes_when_the_gallery_is_published(client, organizer_client):
    gallery = make_gallery(is_published=False)
    upload_photo(gallery)
    assert "Draft" in organizer_client.get(gallery.get_absolute_url()).text
    assert client.get(gallery.get_absolute_url()).status_code == 404

    _admin_change(organizer_client, gallery, is_published="on")
    organizer_client.get("/admin/galleries/gallery/")  # where the admin shows its "changed" message

    assert "Draft" not in organizer_client.get(gallery.get_absolute_url()).text
    assert "Draft" not in client.get(gallery.get_absolute_url()).text


def test_a_gallery_made_a_draft_again_is_not_served_from_the_cache(client, organizer_client):
    gallery = make_gallery()
    upload_photo(gallery)
    assert client.get(gallery.get_absolute_url()).status_code == 200

    _admin_change(organizer_client, gallery, is_published=None)

    assert client.get(gallery.get_absolute_url()).status_code == 404
    assert client.get(gallery.get_absolute_url(), {"fragment": 1}).status_code == 404


def test_a_locked_visitor_never_gets_the_cached_page_of_a_private_gallery(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    photo = upload_photo(gallery)
    bulk_ready_photos(gallery, 70)
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})
    for params in ({}, {"page": 2}, {"fragment": 1}, {"page": 2, "fragment": 1}):
        assert client.get(gallery.get_absolute_url(), params).status_code == 200

    stranger = Client()
    for params in ({}, {"page": 2}, {"fragment": 1}, {"page": 2, "fragment": 1}):
        response = stranger.get(gallery.get_absolute_url(), params)
        assert response.status_code == 302
        assert response["Location"] == f"/g/{gallery.slug}/access/"
        assert str(photo.key) not in response.text and 'class="tile"' not in response.text


def test_a_new_access_code_locks_out_a_guest_whose_page_is_cached(client, organizer_client):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    upload_photo(gallery)
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})
    assert client.get(gallery.get_absolute_url()).status_code == 200

    _admin_change(organizer_client, gallery, access_code="new-code")

    assert client.get(gallery.get_absolute_url()).status_code == 302
    assert client.get(gallery.get_absolute_url(), {"fragment": 1}).status_code == 302


def test_organizers_and_guests_see_the_same_photos(client, organizer_client):
    gallery = make_gallery()
    photo = upload_photo(gallery)

    guest_page = client.get(gallery.get_absolute_url()).text
    organizer_page = organizer_client.get(gallery.get_absolute_url()).text

    assert str(photo.key) in guest_page and str(photo.key) in organizer_page


# --- What differs between anonymous visitors is never cached -------------------------


def _welcome(request, slug):
    messages.info(request, "Welcome back!")
    return redirect("galleries:detail", slug=slug)


urlpatterns = [path("test/welcome/<slug:slug>/", _welcome), *project_urlpatterns]


def test_a_message_is_shown_once_to_its_visitor_only(client, db, settings):
    settings.ROOT_URLCONF = __name__
    gallery = make_gallery()
    upload_photo(gallery)
    cached = client.get(gallery.get_absolute_url()).content

    response = client.get(f"/test/welcome/{gallery.slug}/", follow=True)

    assert "Welcome back!" in response.text
    assert "Welcome back!" not in client.get(gallery.get_absolute_url()).text
    assert "Welcome back!" not in Client().get(gallery.get_absolute_url()).text
    assert client.get(gallery.get_absolute_url()).content == cached


def test_a_page_that_holds_a_csrf_token_is_not_cached(db, settings):
    # A page with a form (a selfie search, say) carries its visitor's CSRF token.
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
    gallery = make_gallery()
    upload_photo(gallery)
    first, second = Client(), Client()

    first_response = first.get(gallery.get_absolute_url())
    second_response = second.get(gallery.get_absolute_url())

    assert first_response.cookies["csrftoken"].value != second_response.cookies["csrftoken"].value
    assert "csrfmiddlewaretoken" in second_response.text
    form = {"csrfmiddlewaretoken": _csrf_token_in(second_response.text)}
    second.handler.enforce_csrf_checks = True
    assert second.post(f"/g/{gallery.slug}/access/", form).status_code != 403


def _csrf_token_in(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


# --- How long a page is kept -------------------------------------------------------------


def test_a_zero_cache_time_turns_the_cache_off(client, db, settings):
    settings.GALLERY_PAGE_CACHE_SECONDS = 0
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)

    assert _get(client, gallery)[1] == 4
    assert _get(client, gallery)[1] == 4


@pytest.fixture
def clock(monkeypatch):
    """Moves time.time() (the cache's clock) forward on demand."""
    offset = [0.0]
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + offset[0])
    return lambda seconds: offset.__setitem__(0, offset[0] + seconds)


def test_on_local_storage_a_page_is_kept_for_the_cache_time(client, db, settings, clock):
    settings.GALLERY_PAGE_CACHE_SECONDS = 600
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)
    _get(client, gallery)

    clock(590)
    assert _get(client, gallery)[1] == 1
    clock(20)
    assert _get(client, gallery)[1] == 4


def test_on_s3_a_page_is_kept_for_a_sixth_of_the_life_of_its_signed_urls(client, db, settings, s3_storage, clock):
    settings.GALLERY_PAGE_CACHE_SECONDS = 86400
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)
    response, queries = _get(client, gallery)
    assert "X-Amz-Signature=" in response.text and "X-Amz-Expires=300&" in response.text
    assert queries == 4

    clock(45)
    assert _get(client, gallery)[1] == 1
    clock(10)
    # The files' bytes (no signed URLs in them) are kept for the whole cache time.
    assert _get(client, gallery)[1] == 3


def test_a_link_that_opens_a_photo_in_the_viewer_gets_the_cached_page(client, db):
    # ?photo=<key> is read by the viewer's script only: the server serves the one cached page.
    gallery = make_gallery()
    photo = upload_photo(gallery)
    plain, _ = _get(client, gallery)

    with_photo, queries = _get(client, gallery, photo=str(photo.key))

    assert with_photo.content == plain.content
    assert queries == _get(client, gallery)[1]


def test_a_new_accent_colour_is_never_served_an_old_page(client, db, settings):
    gallery = make_gallery()
    client.get(gallery.get_absolute_url())

    settings.SITE_ACCENT_COLOR = "#1e40af"

    assert "--accent: #1e40af;" in client.get(gallery.get_absolute_url()).text


def test_a_page_served_from_the_cache_reads_the_page_alone(client, db, monkeypatch):
    # Neither the count nor the hero's summary: the page is kept under the number asked for.
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)
    first, _ = _get(client, gallery)

    read = cache_reads(monkeypatch)
    again, _ = _get(client, gallery)

    assert again.content == first.content
    assert len(read) == 1 and ":pages:1:" in read[0]


def test_a_page_past_the_last_is_the_last_one_and_not_kept_under_its_number(client, db, settings, monkeypatch):
    settings.PHOTOS_PER_PAGE = 2
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)
    last, _ = _get(client, gallery, page=2)
    past, _ = _get(client, gallery, page=99)
    assert past.status_code == 200
    assert past.content == last.content

    read = cache_reads(monkeypatch)
    again, _ = _get(client, gallery, page=99)
    assert again.content == last.content
    # Made again from the gallery's summary: page 99 would be page 3 once it has five photos.
    assert any(key.endswith(":summary") for key in read)
