"""POST /api/gallery/<id>/find-me: the Find me page's rules through the API. Consent
stated in the request, the selfie only in memory, the page's rate limit, its answers."""

import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.test import Client

from api.tests.factories import bearer
from faces.services import search as search_services
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import add_photos, each_photo_indexed_once, face_search_gallery, jpeg, selfie_file
from galleries.models import Gallery
from galleries.tests.factories import make_gallery


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _url(gallery) -> str:
    return f"/api/gallery/{gallery.pk}/find-me"


def _search(client, gallery, selfie: bytes, *, consent="true", **extra):
    data = {"selfie": selfie_file(content=selfie)}
    if consent is not None:
        data["consent"] = consent
    return client.post(_url(gallery), data, **extra)


def _selfie_of_the_middle_person() -> bytes:
    return jpeg(selfie_of(face_images.group_photo(), GROUP_PHOTO_FACE_CENTRES[2], face_px=110))


def _everything_stored(temp_dir):
    def files(folder):
        root = Path(folder)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []

    # Rate limit counters hold a count and keyed hashes of the device and the address, nothing of the selfie.
    rows = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label != "ops.RateLimitCounter"
    }
    return files(django_settings.MEDIA_ROOT), files(temp_dir), rows


def test_a_selfie_finds_the_photo_with_the_face_marked_and_nothing_is_kept(
    client, db, upload_temp_dir, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    seen = []
    read_selfie = search_services.read_selfie

    def read_selfie_and_look(fileobj):
        seen.append(type(fileobj.file).__name__)
        return read_selfie(fileobj)

    monkeypatch.setattr("faces.services.find_me.read_selfie", read_selfie_and_look)
    before = _everything_stored(upload_temp_dir)
    caplog.set_level(logging.DEBUG)

    response = _search(client, gallery, _selfie_of_the_middle_person())

    assert response.status_code == 200
    body = response.json()
    assert body["faces_in_selfie"] == 1
    [match] = body["you"]
    assert match["photo"]["id"] == str(photo.key)
    x, y = GROUP_PHOTO_FACE_CENTRES[2]
    face = match["face"]
    assert face["left"] <= x / photo.width <= face["left"] + face["width"]
    assert face["top"] <= y / photo.height <= face["top"] + face["height"]
    assert seen == ["BytesIO"]
    # The one row a search leaves is its consent receipt: time, gallery, privacy text version.
    files, temp_files, rows = before
    assert _everything_stored(upload_temp_dir) == (files, temp_files, {**rows, "faces.ConsentReceipt": 1})
    assert [r for r in caplog.records if r.name.startswith(("api", "faces"))] == []


def test_someone_not_in_the_gallery_gets_empty_lists(client, db, django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)

    response = _search(client, gallery, jpeg(face_images.tom_hanks()))

    assert response.status_code == 200
    assert (response.json()["you"], response.json()["maybe_you"]) == ([], [])


@pytest.mark.parametrize("consent", [None, "", "false", "no"])
def test_without_consent_nothing_is_searched(client, db, monkeypatch, consent):
    gallery = face_search_gallery()
    monkeypatch.setattr("faces.services.find_me.face_search", lambda **kwargs: pytest.fail("searched"))

    response = _search(client, gallery, jpeg(face_images.tom_hanks()), consent=consent)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "consent_required"
    assert response.json()["error"]["field"] == "consent"


@pytest.mark.parametrize(
    ("selfie", "code", "message"),
    [
        (lambda: jpeg(face_images.table()), "no_face", "We could not find a face in that photo."),
        (lambda: jpeg(face_images.group_photo()), "several_faces", "Your photo shows 6 faces"),
        (lambda: b"%PDF-1.7\n" + b"0" * 4000, "unreadable", "That file is not a photo we can read."),
        (lambda: b"", "invalid", "That file is empty."),
    ],
    ids=["no face", "several faces", "not an image", "empty"],
)
def test_selfies_that_cannot_be_searched_get_the_pages_answers(client, db, upload_temp_dir, selfie, code, message):
    gallery = face_search_gallery()

    response = _search(client, gallery, selfie())

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, "selfie")
    assert error["message"].startswith(message)


def test_a_search_without_a_selfie_names_the_field(client, db):
    response = client.post(_url(face_search_gallery()), {"consent": "true"})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "selfie"


def test_a_selfie_over_the_limit_is_too_large(client, db, settings, upload_temp_dir):
    settings.SELFIE_MAX_MB = 0
    gallery = face_search_gallery()

    response = _search(client, gallery, jpeg(face_images.tom_hanks()))

    assert response.status_code == 413
    assert list(upload_temp_dir.iterdir()) == []


def test_searches_share_the_pages_limit_per_client(client, db, settings):
    settings.FACE_SEARCHES_PER_WINDOW = 2
    gallery = face_search_gallery()
    selfie = jpeg(face_images.tom_hanks())
    page = client.post(f"/g/{gallery.slug}/find-me/", {"consent": "on", "selfie": selfie_file(content=selfie)})
    assert page.status_code == 303  # to its results page

    assert _search(client, gallery, selfie).status_code == 200
    response = _search(client, gallery, selfie)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= settings.FACE_SEARCH_WINDOW_S


def _search_without_selfie(client, gallery, **extra) -> int:
    """A search the limits count, whose answer (400: no selfie) costs no face engine."""
    return client.post(_url(gallery), {"consent": "true"}, **extra).status_code


def test_callers_without_cookies_count_by_address(db, settings):
    settings.FACE_SEARCHES_PER_WINDOW = 2
    gallery = face_search_gallery()

    statuses = [_search_without_selfie(Client(), gallery) for _ in range(3)]

    assert statuses == [400, 400, 429]
    assert _search_without_selfie(Client(REMOTE_ADDR="192.0.2.7"), gallery) == 400


def test_callers_with_an_api_key_count_by_key_under_the_address_ceiling(db, settings, owner_key, other_key):
    settings.FACE_SEARCHES_PER_WINDOW = 2
    settings.FACE_SEARCHES_PER_ADDRESS = 5
    gallery = face_search_gallery()

    with_key = [_search_without_selfie(Client(), gallery, **bearer(owner_key)) for _ in range(3)]
    with_other_key = [_search_without_selfie(Client(), gallery, **bearer(other_key)) for _ in range(2)]
    without_key = [_search_without_selfie(Client(), gallery) for _ in range(2)]

    assert with_key == [400, 400, 429]
    assert with_other_key == [400, 400]
    # Four searches from this address so far: one more fits under the ceiling of five.
    assert without_key == [400, 429]


def test_a_gallery_without_find_me_says_so(client, db):
    response = _search(client, make_gallery(), jpeg(face_images.tom_hanks()))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "find_me_off"


@pytest.mark.parametrize(
    "fields",
    [{"is_published": False}, {"visibility": Gallery.Visibility.UNLISTED}, {"visibility": Gallery.Visibility.PRIVATE}],
    ids=["draft", "unlisted", "private"],
)
def test_galleries_not_listed_are_not_found_but_their_organizer_can_search(client, owner, owner_key, fields):
    gallery = face_search_gallery(owner=owner, **fields)
    selfie = jpeg(face_images.tom_hanks())

    assert _search(client, gallery, selfie).status_code == 404
    assert _search(client, gallery, selfie, **bearer(owner_key)).status_code == 200


def test_a_face_engine_outage_is_unavailable(client, db, monkeypatch):
    from faces.engines.base import FaceEngineError
    from faces.engines.local import LocalEngine

    def fail(self, image):
        raise FaceEngineError("down")

    monkeypatch.setattr(LocalEngine, "describe_selfie", fail)

    response = _search(client, face_search_gallery(), jpeg(face_images.tom_hanks()))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
