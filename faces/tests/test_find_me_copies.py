"""A selfie that is a copy of a gallery photo (faces/copies.py): the search is answered,
since the visitor may see those photos anyway, but its results cannot hide photos. The
copies are real: the gallery's own display image as the page serves it, a crop of the
photo turned and re-encoded; the engine is the real local one (and Rekognition through
botocore's Stubber)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import ANY, Stubber
from django.test import Client
from django.urls import get_resolver
from PIL import Image

from faces import copies
from faces.engines import get_engine
from faces.engines.rekognition import RekognitionEngine
from faces.models import HideRequest, PhotoFaces
from faces.services.results_token import find_me_results_read, find_me_results_token, find_me_results_without
from faces.services.search import face_search
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import each_photo_indexed_once, find_me_url, jpeg, selfie_file
from faces.tests.hide_me import (
    a_copy_of_the_group_photo_around_the_person,
    gallery_with_the_person,
    hide_url,
    keys_found,
    the_persons_selfie,
)
from faces.tests.test_rekognition_engine import _box_around, _face_detail, _face_record
from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo

COPY_MESSAGE = "please take a selfie with your camera"


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


@pytest.fixture(autouse=True)
def _engine_made_with_the_tests_settings():
    # The engine is made once per process, with the copy distance of the settings then.
    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


@pytest.fixture
def gallery(consenting_client, django_capture_on_commit_callbacks):
    gallery, (group, alone, table) = gallery_with_the_person(django_capture_on_commit_callbacks)
    return SimpleNamespace(gallery=gallery, group=group, alone=alone, table=table)


def _display_image(client, photo) -> bytes:
    response = client.get(f"/photos/{photo.key}/display")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _search(client, gallery, selfie) -> str:
    response = client.post(find_me_url(gallery), {"selfie": selfie})
    assert response.status_code == 303, response.content[:500]
    return response["Location"].split("?r=", 1)[1]


def _results(gallery, token):
    from urllib.parse import unquote

    return find_me_results_read(gallery=gallery, token=unquote(token))


def test_the_display_image_of_a_photo_finds_its_people_but_cannot_hide_them(consenting_client, gallery):
    display = _display_image(consenting_client, gallery.alone)

    location = consenting_client.post(
        find_me_url(gallery.gallery), {"selfie": selfie_file(content=display, name="download.jpg")}
    )["Location"]
    page = consenting_client.get(location)

    assert page.status_code == 200
    results = _results(gallery.gallery, location.split("?r=", 1)[1])
    assert results.from_copy
    assert sorted(str(f.photo.key) for f in results.found) == sorted([str(gallery.group.key), str(gallery.alone.key)])
    # The photos are shown; hiding is not offered, and the guest is told how to ask.
    assert str(gallery.alone.key) in page.text
    assert 'id="hide-me"' not in page.text and 'form="hide-me"' not in page.text
    assert COPY_MESSAGE in page.text

    response = consenting_client.post(
        hide_url(gallery.gallery), {"r": results_token_of(location), "all": "1", "contact": "x@example.com"}
    )

    assert response.status_code == 400
    assert COPY_MESSAGE in response.text
    assert not HideRequest.objects.exists()
    assert Photo.objects.guest_visible().filter(gallery=gallery.gallery).count() == 3


def results_token_of(location: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(location).query)["r"][0]


def test_a_crop_turned_enlarged_and_reencoded_is_told_by_its_face(consenting_client, gallery, settings):
    # The picture's hash cannot tell a crop: the face's distance does (0.08 here).
    settings.FACE_COPY_HASH_BITS = -1
    location = consenting_client.post(
        find_me_url(gallery.gallery), {"selfie": a_copy_of_the_group_photo_around_the_person()}
    )["Location"]

    assert _results(gallery.gallery, results_token_of(location)).from_copy
    response = consenting_client.post(hide_url(gallery.gallery), {"r": results_token_of(location), "all": "1"})
    assert response.status_code == 400 and not HideRequest.objects.exists()


def test_the_same_picture_resized_and_reencoded_is_told_by_its_hash(consenting_client, gallery, settings):
    # With the face's distance out of play (a doctored face), the picture gives it away.
    settings.FACE_COPY_DISTANCE = -1.0
    get_engine.cache_clear()
    display = Image.open(io.BytesIO(_display_image(consenting_client, gallery.alone)))
    smaller = display.resize((display.width * 2 // 3, display.height * 2 // 3), Image.Resampling.BILINEAR)

    location = consenting_client.post(
        find_me_url(gallery.gallery), {"selfie": selfie_file(content=jpeg(smaller, quality=60))}
    )["Location"]

    assert _results(gallery.gallery, results_token_of(location)).from_copy
    # And a crop, which the hash does not tell, is not taken for a copy by it.
    crop = consenting_client.post(
        find_me_url(gallery.gallery), {"selfie": a_copy_of_the_group_photo_around_the_person()}
    )["Location"]
    assert not _results(gallery.gallery, results_token_of(crop)).from_copy


def test_a_selfie_taken_with_a_camera_is_no_copy_and_can_hide(consenting_client, gallery):
    location = consenting_client.post(find_me_url(gallery.gallery), {"selfie": the_persons_selfie()})["Location"]
    page = consenting_client.get(location)

    assert not _results(gallery.gallery, results_token_of(location)).from_copy
    assert 'id="hide-me"' in page.text and COPY_MESSAGE not in page.text


def test_the_flag_survives_not_me(consenting_client, gallery):
    location = consenting_client.post(
        find_me_url(gallery.gallery), {"selfie": selfie_file(content=_display_image(consenting_client, gallery.alone))}
    )["Location"]
    token = results_token_of(location)

    narrowed = find_me_results_without(gallery=gallery.gallery, token=token, photo_key=str(gallery.group.key))

    assert keys_found(gallery.gallery, narrowed) == [str(gallery.alone.key)]
    assert find_me_results_read(gallery=gallery.gallery, token=narrowed).from_copy


def test_indexing_keeps_the_photos_picture_hash_and_nothing_of_the_selfie(gallery):
    hashes = dict(PhotoFaces.objects.filter(gallery=gallery.gallery).values_list("photo_id", "picture_hash"))

    assert set(hashes) == {gallery.group.pk, gallery.alone.pk, gallery.table.pk}
    assert all(len(bytes(h)) == copies.HASH_BYTES for h in hashes.values())
    assert bytes(hashes[gallery.group.pk]) != bytes(hashes[gallery.alone.pk])


def test_the_api_gives_no_results_token_and_has_no_hide_route(gallery):
    response = Client().post(
        f"/api/gallery/{gallery.gallery.pk}/find-me",
        {"consent": "true", "selfie": selfie_file(content=_display_image(Client(), gallery.alone))},
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"faces_in_selfie", "you", "maybe_you", "photos_searched", "photos_total"}
    assert body["you"]
    api_routes = list(_all_routes())
    assert any("find-me" in route for route in api_routes)
    assert not any("hide" in route for route in api_routes)


def _all_routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _all_routes(pattern.url_patterns, route)
        elif route.startswith("api"):
            yield route


# --- Rekognition --------------------------------------------------------------------


@pytest.fixture
def rekognition(monkeypatch, settings):
    settings.FACE_ENGINE = "rekognition"
    client = boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    engine = RekognitionEngine(
        region="us-east-1",
        client=client,
        match_threshold=settings.FACE_MAYBE_SIMILARITY,
        copy_similarity=settings.FACE_COPY_SIMILARITY,
    )
    monkeypatch.setattr("faces.engines.get_engine", lambda: engine)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.mark.django_db
@pytest.mark.parametrize(("similarity", "from_copy"), [(99.97, True), (99.2, False)])
def test_rekognition_tells_a_copy_by_its_similarity(
    rekognition, django_capture_on_commit_callbacks, similarity, from_copy
):
    gallery = make_gallery(face_search_enabled=True)
    face_id = "11111111-1111-4111-8111-111111111111"
    detail = _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[2], 120))
    rekognition.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    rekognition.add_response("create_collection", {"StatusCode": 200}, {"CollectionId": ANY})
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
        rekognition.add_response(
            "index_faces", {"FaceRecords": [_face_record(detail, face_id=face_id, photo_id=photo.pk)]}
        )
    # A crop around the face, which the picture's hash does not tell: the similarity does.
    selfie = face_images.selfie_of(face_images.group_photo(), GROUP_PHOTO_FACE_CENTRES[2], face_px=110)
    rekognition.add_response("detect_faces", {"FaceDetails": [_face_detail(_box_around((200, 200), 180, selfie.size))]})
    rekognition.add_response(
        "search_faces_by_image",
        {
            "SearchedFaceBoundingBox": {"Left": 0.2, "Top": 0.2, "Width": 0.5, "Height": 0.5},
            "SearchedFaceConfidence": 99.9,
            "FaceMatches": [{"Similarity": similarity, "Face": {"FaceId": face_id, "ExternalImageId": str(photo.pk)}}],
        },
    )

    result = face_search(gallery=gallery, selfie=selfie)

    assert [m.photo for m in result.sure] == [photo]
    assert result.from_copy is from_copy
    token = find_me_results_token(gallery=gallery, result=result)
    assert find_me_results_read(gallery=gallery, token=token).from_copy is from_copy


def test_each_engine_takes_its_copy_threshold_from_the_settings(settings):
    settings.FACE_COPY_DISTANCE = 0.12
    get_engine.cache_clear()
    local = get_engine()
    assert local.is_copy(0.12) and not local.is_copy(0.13)

    settings.FACE_ENGINE, settings.REKOGNITION_REGION = "rekognition", "eu-west-1"
    settings.FACE_COPY_SIMILARITY = 99.5
    get_engine.cache_clear()
    rekognition = get_engine()
    assert rekognition.name == "rekognition"
    assert rekognition.is_copy(99.5) and not rekognition.is_copy(99.4)
