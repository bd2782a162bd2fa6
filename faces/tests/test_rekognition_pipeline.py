"""Find me with FACE_ENGINE=rekognition, through the services: a photo indexed into its
gallery's collection, a selfie searched there, faces forgotten with their photo and the
collection with its gallery. The boto3 client is real and checked by botocore's
Stubber against the service model; only AWS's answers are canned."""

import boto3
import pytest
from botocore.stub import ANY, Stubber

from faces.engines.rekognition import RekognitionEngine
from faces.models import Face, FaceCollection, PhotoFaces
from faces.services.search import face_search
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import jpeg
from faces.tests.test_rekognition_engine import _box_around, _face_detail, _face_record
from galleries.services.closing import galleries_close_expired
from galleries.services.galleries import gallery_delete
from galleries.services.photos import photo_delete
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db

FACE_IDS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]


@pytest.fixture
def stubber(monkeypatch, settings):
    settings.FACE_ENGINE = "rekognition"
    client = boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    engine = RekognitionEngine(region="us-east-1", client=client, match_threshold=settings.FACE_MAYBE_SIMILARITY)
    monkeypatch.setattr("faces.engines.get_engine", lambda: engine)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_a_photo_is_indexed_into_its_gallerys_collection_and_searched_there(
    stubber, django_capture_on_commit_callbacks
):
    gallery = make_gallery(face_search_enabled=True)
    collection = f"eventgallery-gallery-{gallery.pk}"
    details = [_face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[i], 120)) for i in (1, 4)]
    stubber.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    stubber.add_response("create_collection", {"StatusCode": 200}, {"CollectionId": collection})
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
        # The photo's id is known once it is stored; IndexFaces runs when it is processed.
        stubber.add_response(
            "index_faces",
            {
                "FaceRecords": [
                    _face_record(d, face_id=f, photo_id=photo.pk) for d, f in zip(details, FACE_IDS, strict=True)
                ]
            },
        )

    assert PhotoFaces.objects.get(photo=photo).status == "indexed"
    assert sorted(photo.faces.values_list("external_id", flat=True)) == FACE_IDS
    assert FaceCollection.objects.get(gallery=gallery).external_id == collection
    assert photo.faces.filter(descriptor__isnull=False).count() == 0

    selfie = face_images.selfie_of(face_images.group_photo(), GROUP_PHOTO_FACE_CENTRES[4], face_px=110)
    stubber.add_response("detect_faces", {"FaceDetails": [_face_detail(_box_around((200, 200), 180, selfie.size))]})
    stubber.add_response(
        "search_faces_by_image",
        {
            "SearchedFaceBoundingBox": {"Left": 0.2, "Top": 0.2, "Width": 0.5, "Height": 0.5},
            "SearchedFaceConfidence": 99.9,
            "FaceMatches": [{"Similarity": 99.1, "Face": {"FaceId": FACE_IDS[1], "ExternalImageId": str(photo.pk)}}],
        },
        {"CollectionId": collection, "Image": {"Bytes": ANY}, "MaxFaces": 4096, "FaceMatchThreshold": 80.0},
    )
    result = face_search(gallery=gallery, selfie=selfie)

    [match] = result.sure
    assert match.photo == photo
    assert match.face.external_id == FACE_IDS[1]
    assert match.similarity == 99.1


def test_deleting_a_photo_deletes_its_faces_from_the_collection(stubber, django_capture_on_commit_callbacks):
    gallery = make_gallery(face_search_enabled=True)
    photo = _index_one_photo(stubber, gallery, django_capture_on_commit_callbacks)

    stubber.add_response(
        "delete_faces",
        {"DeletedFaces": FACE_IDS},
        {"CollectionId": f"eventgallery-gallery-{gallery.pk}", "FaceIds": FACE_IDS},
    )
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=photo)

    assert not Face.objects.exists()


def test_deleting_a_gallery_deletes_its_collection(stubber, django_capture_on_commit_callbacks):
    gallery = make_gallery(face_search_enabled=True)
    _index_one_photo(stubber, gallery, django_capture_on_commit_callbacks)

    stubber.add_response(
        "delete_collection", {"StatusCode": 200}, {"CollectionId": f"eventgallery-gallery-{gallery.pk}"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)

    assert not Face.objects.exists() and not FaceCollection.objects.exists()


def test_a_rekognition_failure_marks_the_photo_failed_with_a_clear_reason(stubber, django_capture_on_commit_callbacks):
    gallery = make_gallery(face_search_enabled=True)
    stubber.add_client_error("index_faces", "AccessDeniedException", "User: arn:aws:iam::123:user/x is not authorized")
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)

    status = PhotoFaces.objects.get(photo=photo)
    assert status.status == "failed"
    assert "arn:aws" not in status.error and status.error


def _index_one_photo(stubber, gallery, capture):
    details = [_face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[i], 120)) for i in (1, 4)]
    with capture(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
        stubber.add_response(
            "index_faces",
            {
                "FaceRecords": [
                    _face_record(d, face_id=f, photo_id=photo.pk) for d, f in zip(details, FACE_IDS, strict=True)
                ]
            },
        )
    assert photo.faces.count() == 2
    return photo


def test_closing_a_gallery_deletes_its_collection(stubber, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    gallery = make_gallery(face_search_enabled=True)
    _index_one_photo(stubber, gallery, django_capture_on_commit_callbacks)
    gallery.closes_at = timezone.now() - timedelta(seconds=1)
    gallery.save(update_fields=["closes_at"])

    stubber.add_response(
        "delete_collection", {"StatusCode": 200}, {"CollectionId": f"eventgallery-gallery-{gallery.pk}"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        closed = galleries_close_expired()

    assert closed == [gallery]
    assert not Face.objects.exists() and not FaceCollection.objects.exists() and not PhotoFaces.objects.exists()
    # Once done, nothing more is asked of AWS (the Stubber would fail on an unexpected call).
    with django_capture_on_commit_callbacks(execute=True):
        assert galleries_close_expired() == []
