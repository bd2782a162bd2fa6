"""GET /g/<slug>/find-me/progress/: how far indexing has got, for a results page that
searched only some photos to say when more are ready; behind Find me's own gate."""

from __future__ import annotations

import pytest

from faces.services.indexing import photo_faces_index
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.partial import half_indexed_gallery
from galleries.models import Gallery


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _url(gallery) -> str:
    return f"/g/{gallery.slug}/find-me/progress/"


def test_it_says_how_many_photos_are_searchable_and_when_all_are(client, db, django_capture_on_commit_callbacks):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)

    response = client.get(_url(gallery))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"photos_searched": 2, "photos_total": 3, "photos_failed": 0, "complete": False}

    photo_faces_index(photo_id=photos["alone"].pk)

    assert client.get(_url(gallery)).json() == {
        "photos_searched": 3,
        "photos_total": 3,
        "photos_failed": 0,
        "complete": True,
    }


def test_it_is_refused_as_find_me_is(client, db, django_capture_on_commit_callbacks):
    gallery, _ = half_indexed_gallery(django_capture_on_commit_callbacks)

    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=False)
    assert client.get(_url(gallery)).status_code == 404

    Gallery.objects.filter(pk=gallery.pk).update(
        face_search_enabled=True, visibility=Gallery.Visibility.PRIVATE, access_code="juniper-22"
    )
    locked = client.get(_url(gallery))
    assert locked.status_code == 302
    assert "photos_searched" not in locked.content.decode()
