"""A photo hidden on a guest's request is gone from every guest surface: the gallery page
(cached, and moved on by the request), the photo page and its files, the viewer's tiles,
Find me's results and "my photos" ZIP, the slideshow, Download all and the JSON API. Its
organizer and superusers still see it in the admin, marked, and can undo the request."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from django.test import Client

from api.tests.factories import bearer, make_api_key
from faces import privacy
from faces.models import Face, HideRequest
from faces.services.results_token import find_me_results_token
from faces.services.search import PhotoMatch, SearchResult
from faces.tests.hide_me import hide_url, results_url
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db


def _token(gallery, photos) -> str:
    matches = [
        PhotoMatch(
            photo=photo,
            face=Face(box_left=0.25, box_top=0.125, box_width=0.2, box_height=0.3),
            similarity=95.0,
            is_sure=True,
        )
        for photo in photos
    ]
    result = SearchResult(matches=matches, faces_in_selfie=1, describe_ms=0, search_ms=0)
    return find_me_results_token(gallery=gallery, result=result)


@pytest.fixture
def world(client):
    owner = make_user(staff=True)
    gallery = make_gallery(owner=owner, face_search_enabled=True)
    hidden, shown = upload_photo(gallery, filename="hidden-one.jpg"), upload_photo(gallery, filename="shown-one.jpg")
    token = _token(gallery, [hidden, shown])
    return SimpleNamespace(owner=owner, gallery=gallery, hidden=hidden, shown=shown, token=token)


def _hide(client, world):
    response = client.post(hide_url(world.gallery), {"r": world.token, "photo": [str(world.hidden.key)]})
    assert response.status_code == 303


def _zip_names(response) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        return sorted(archive.namelist())


def test_the_gallery_page_drops_the_photo_though_it_was_cached(client, world):
    before = client.get(world.gallery.get_absolute_url())
    assert str(world.hidden.key) in before.text

    _hide(client, world)

    after = client.get(world.gallery.get_absolute_url())
    assert str(world.hidden.key) not in after.text and str(world.shown.key) in after.text
    assert after.context["photo_count"] == 1
    # The infinite scroll's fragment too.
    assert str(world.hidden.key) not in client.get(world.gallery.get_absolute_url() + "?fragment=1").text


def test_the_photo_page_and_its_files_are_not_found_by_guests(client, world):
    _hide(client, world)

    assert client.get(f"/g/{world.gallery.slug}/p/{world.hidden.key}/").status_code == 404
    for kind in ("thumb", "middle", "display", "original"):
        assert client.get(f"/photos/{world.hidden.key}/{kind}").status_code == 404
    # The shown photo's page no longer leads to it.
    page = client.get(f"/g/{world.gallery.slug}/p/{world.shown.key}/")
    assert page.context["previous_photo"] is None and page.context["next_photo"] is None
    # Its organizer still gets the files (the admin shows them).
    client.force_login(world.owner)
    assert client.get(f"/photos/{world.hidden.key}/display").status_code == 200


def test_find_me_results_and_my_photos_zip_leave_it_out(client, world):
    _hide(client, world)

    page = client.get(results_url(world.gallery, world.token))
    assert str(world.hidden.key) not in page.text and str(world.shown.key) in page.text
    download = client.get(f"/g/{world.gallery.slug}/find-me/results/download/?r={world.token}")
    assert _zip_names(download) == ["shown-one.jpg"]


def test_the_slideshow_leaves_it_out(client, world):
    _hide(client, world)

    slides = client.get(f"/g/{world.gallery.slug}/slideshow/photos").json()["photos"]
    assert [slide["key"] for slide in slides] == [str(world.shown.key)]
    assert str(world.hidden.key) not in client.get(f"/g/{world.gallery.slug}/slideshow/").text


def test_download_all_leaves_it_out(client, world):
    _hide(client, world)

    assert _zip_names(client.get(f"/g/{world.gallery.slug}/download/")) == ["shown-one.jpg"]


def test_the_api_lists_it_to_its_organizer_only(client, world):
    _hide(client, world)

    guest = client.get(f"/api/gallery/{world.gallery.pk}/photos").json()
    assert [photo["id"] for photo in guest["results"]] == [str(world.shown.key)]
    assert guest["count"] == 1
    organizer = client.get(f"/api/gallery/{world.gallery.pk}/photos", **bearer(make_api_key(world.owner))).json()
    assert organizer["count"] == 2


def test_the_home_page_cover_is_never_a_hidden_photo(client, world):
    Gallery.objects.filter(pk=world.gallery.pk).update(cover=world.hidden)
    _hide(client, world)

    assert str(world.hidden.key) not in client.get("/").text


def test_undoing_the_request_shows_the_photo_again_everywhere(client, world):
    _hide(client, world)
    assert str(world.hidden.key) not in client.get(world.gallery.get_absolute_url()).text

    privacy.hide_request_undo(hide_request=HideRequest.objects.get())

    assert str(world.hidden.key) in client.get(world.gallery.get_absolute_url()).text
    assert client.get(f"/g/{world.gallery.slug}/p/{world.hidden.key}/").status_code == 200


def test_a_photo_two_requests_hide_stays_hidden_until_both_are_undone(client, world):
    # Two guests in one photo, both asking while the organizer has not decided yet.
    Gallery.objects.filter(pk=world.gallery.pk).update(hide_requests_apply=Gallery.HideRequests.AFTER_APPROVAL)
    _hide(client, world)
    _hide(Client(), world)
    first, second = HideRequest.objects.order_by("id")
    assert client.get(f"/g/{world.gallery.slug}/p/{world.hidden.key}/").status_code == 200
    privacy.hide_request_apply(hide_request=first)
    privacy.hide_request_apply(hide_request=second)

    privacy.hide_request_undo(hide_request=first)
    assert client.get(f"/g/{world.gallery.slug}/p/{world.hidden.key}/").status_code == 404
    privacy.hide_request_undo(hide_request=second)
    assert client.get(f"/g/{world.gallery.slug}/p/{world.hidden.key}/").status_code == 200
