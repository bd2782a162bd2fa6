"""The API and a gallery past its closing time: 410 in the API's error shape to every
caller who does not manage it; its organizer's key still sees it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.factories import bearer
from galleries.tests.factories import make_gallery, upload_photo

GONE = {"error": {"code": "gallery_closed", "message": "This gallery has closed: its photos are no longer online."}}


@pytest.fixture
def closed(owner):
    gallery = make_gallery(name="Closed Fair", owner=owner, closes_at=timezone.now() - timedelta(hours=1))
    upload_photo(gallery)
    return gallery


def test_callers_without_its_key_are_told_it_is_gone(client, closed, other_key):
    for url in (f"/api/gallery/{closed.pk}", f"/api/gallery/{closed.pk}/photos"):
        for headers in ({}, bearer(other_key)):
            response = client.get(url, **headers)
            assert response.status_code == 410, url
            assert response.json() == GONE
    find_me = client.post(f"/api/gallery/{closed.pk}/find-me")
    assert find_me.status_code == 410 and find_me.json() == GONE


def test_its_organizers_key_still_sees_it(client, closed, owner_key):
    detail = client.get(f"/api/gallery/{closed.pk}", **bearer(owner_key))
    assert detail.status_code == 200 and detail.json()["closes_at"]
    photos = client.get(f"/api/gallery/{closed.pk}/photos", **bearer(owner_key))
    assert photos.status_code == 200 and photos.json()["count"] == 1


def test_it_is_listed_only_to_its_organizer(client, closed, owner_key):
    assert [g["name"] for g in client.get("/api/gallery/").json()] == []
    assert [g["name"] for g in client.get("/api/gallery/", **bearer(owner_key)).json()] == ["Closed Fair"]
