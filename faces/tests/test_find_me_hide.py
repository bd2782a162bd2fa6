"""POST /g/<slug>/find-me/hide/: "Hide photos of me" from the Find me results. The
photos and faces come from the signed results of a real search; anything else is
refused with a clear message and nothing is stored."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core import signing
from django.test import Client

from faces.models import HideRequest, HideRequestPhoto
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.hide_me import (
    gallery_with_the_person,
    hide_url,
    keys_found,
    results_url,
    search,
    the_persons_face,
    the_persons_selfie,
)
from galleries.models import Gallery, Photo
from galleries.tests.factories import upload_photo


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


@pytest.fixture
def found(consenting_client, django_capture_on_commit_callbacks):
    """The gallery, its photos (group, the person alone, the table) and a real search's token."""
    gallery, photos = gallery_with_the_person(django_capture_on_commit_callbacks)
    token = search(consenting_client, gallery)
    group, alone, table = photos
    assert sorted(keys_found(gallery, token)) == sorted([str(group.key), str(alone.key)])
    return SimpleNamespace(gallery=gallery, group=group, alone=alone, table=table, token=token)


def _visible_keys(gallery) -> set[str]:
    return {str(key) for key in Photo.objects.guest_visible().filter(gallery=gallery).values_list("key", flat=True)}


def test_it_hides_the_ticked_photo_at_once_and_the_results_no_longer_show_it(consenting_client, found):
    response = consenting_client.post(
        hide_url(found.gallery),
        {"r": found.token, "photo": [str(found.group.key)], "contact": " guest@example.com "},
    )

    assert response.status_code == 303
    assert response["Location"] == results_url(found.gallery, found.token)
    assert _visible_keys(found.gallery) == {str(found.alone.key), str(found.table.key)}
    [hide_request] = HideRequest.objects.all()
    assert hide_request.status == HideRequest.Status.APPLIED and hide_request.decided_at is not None
    assert hide_request.action == Gallery.HideAction.HIDE
    assert hide_request.contact == "guest@example.com"
    # The face to blur, should the organizer choose to: the one the search matched.
    [entry] = hide_request.entries.all()
    assert entry.photo == found.group and entry.face == the_persons_face(found.group)
    page = consenting_client.get(response["Location"])
    assert "Done: 1 photo is hidden from the gallery." in page.text
    assert str(found.group.key) not in page.text and str(found.alone.key) in page.text


def test_hide_all_takes_every_photo_of_the_results_and_nothing_else(consenting_client, found, settings):
    settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR = 2
    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 2
    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1"})

    assert response.status_code == 303
    assert _visible_keys(found.gallery) == {str(found.table.key)}
    assert HideRequestPhoto.objects.filter(photo__in=[found.group, found.alone]).count() == 2


def test_after_approval_the_photos_stay_until_the_organizer_approves(consenting_client, found):
    Gallery.objects.filter(pk=found.gallery.pk).update(hide_requests_apply=Gallery.HideRequests.AFTER_APPROVAL)

    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1"})

    assert response.status_code == 303
    [hide_request] = HideRequest.objects.all()
    assert hide_request.status == HideRequest.Status.PENDING
    assert len(_visible_keys(found.gallery)) == 3
    assert "the organizer will review your request to hide 2 photos" in consenting_client.get(response["Location"]).text


def test_what_a_request_keeps_is_photos_choice_time_status_and_contact_only():
    # Never the selfie, never a face descriptor, never the device or the address: the
    # rows have no place for any of them.
    assert {f.name for f in HideRequest._meta.concrete_fields} == {
        "id",
        "gallery",
        "action",
        "status",
        "contact",
        "created_at",
        "decided_at",
        "applied_at_once",
    }
    assert {f.name for f in HideRequestPhoto._meta.concrete_fields} == {"id", "hide_request", "photo", "face"}


@pytest.mark.parametrize(
    "token",
    ["forged", "", "the-real-one-changed"],
    ids=["forged", "missing", "changed"],
)
def test_a_forged_or_changed_token_is_refused_and_nothing_is_stored(consenting_client, found, token):
    if token == "the-real-one-changed":
        token = found.token[:-3] + ("abc" if not found.token.endswith("abc") else "xyz")

    response = consenting_client.post(hide_url(found.gallery), {"r": token, "all": "1"})

    assert response.status_code == 400
    assert "These results cannot be shown" in response.text
    assert not HideRequest.objects.exists()
    assert len(_visible_keys(found.gallery)) == 3


def test_an_expired_token_is_refused_and_nothing_is_stored(consenting_client, found, settings, monkeypatch):
    settings.FIND_ME_RESULTS_MAX_AGE_S = 60
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 61))

    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1"})

    assert response.status_code == 410
    assert "These results have expired" in response.text
    assert not HideRequest.objects.exists()


def test_a_photo_not_in_the_results_is_refused_and_nothing_is_stored(consenting_client, found):
    other_gallery_photo = upload_photo(Gallery.objects.create(name="Elsewhere", slug="elsewhere", is_published=True))
    for keys in ([str(found.table.key)], [str(found.group.key), str(other_gallery_photo.key)], ["not-a-key"]):
        response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "photo": keys})

        assert response.status_code == 400
        assert "not among your results" in response.text
    assert not HideRequest.objects.exists()
    assert len(_visible_keys(found.gallery)) == 3


def test_another_gallerys_results_are_refused(consenting_client, found, django_capture_on_commit_callbacks):
    second, _ = gallery_with_the_person(django_capture_on_commit_callbacks)
    token_of_the_second = search(consenting_client, second)

    response = consenting_client.post(hide_url(found.gallery), {"r": token_of_the_second, "all": "1"})

    assert response.status_code == 400
    assert not HideRequest.objects.exists()


def test_nothing_ticked_says_so(consenting_client, found):
    response = consenting_client.post(hide_url(found.gallery), {"r": found.token})

    assert response.status_code == 400
    assert "Choose at least one photo to hide." in response.text
    assert not HideRequest.objects.exists()


def test_a_contact_too_long_is_refused(consenting_client, found):
    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1", "contact": "x" * 201})

    assert response.status_code == 400
    assert "at most 200 characters" in response.text
    assert not HideRequest.objects.exists()


def test_requests_are_limited_per_device(consenting_client, found, settings):
    settings.HIDE_REQUESTS_PER_WINDOW = 2
    settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR = 10
    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 10
    settings.HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR = 10
    for key in (found.group.key, found.alone.key):
        assert (
            consenting_client.post(hide_url(found.gallery), {"r": found.token, "photo": [str(key)]}).status_code == 303
        )
    Photo.objects.filter(gallery=found.gallery).update(hidden=False)

    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert HideRequest.objects.count() == 2
    # Another device, from the same address, is not held by this one's limit.
    assert Client().post(hide_url(found.gallery), {"r": found.token, "all": "1"}).status_code == 303


def test_requests_are_limited_per_address(consenting_client, found, settings):
    settings.HIDE_REQUESTS_PER_ADDRESS = 1
    assert (
        Client().post(hide_url(found.gallery), {"r": found.token, "photo": [str(found.group.key)]}).status_code == 303
    )

    response = Client().post(hide_url(found.gallery), {"r": found.token, "photo": [str(found.alone.key)]})

    assert response.status_code == 429
    assert HideRequest.objects.count() == 1


def test_refused_requests_count_towards_the_limit_too(consenting_client, found, settings):
    settings.HIDE_REQUESTS_PER_WINDOW = 2
    for _ in range(2):
        assert consenting_client.post(hide_url(found.gallery), {"r": "forged", "all": "1"}).status_code == 400

    response = consenting_client.post(hide_url(found.gallery), {"r": found.token, "all": "1"})

    assert response.status_code == 429
    assert not HideRequest.objects.exists()


def test_a_new_search_no_longer_finds_the_hidden_photo_on_the_page_or_through_the_api(consenting_client, found):
    consenting_client.post(hide_url(found.gallery), {"r": found.token, "photo": [str(found.group.key)]})

    assert keys_found(found.gallery, search(consenting_client, found.gallery)) == [str(found.alone.key)]
    response = Client().post(
        f"/api/gallery/{found.gallery.pk}/find-me", {"consent": "true", "selfie": the_persons_selfie()}
    )
    assert response.status_code == 200
    body = response.json()
    assert [m["photo"]["id"] for m in body["you"] + body["maybe_you"]] == [str(found.alone.key)]
