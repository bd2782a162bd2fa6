"""POST /api/rekognition/compare and /detect: the original service's answers, on real
faces with the local engine, and through the Rekognition engine (botocore's Stubber on
a real client, since AWS cannot be reached here)."""

import base64

import boto3
import pytest
from botocore.stub import ANY, Stubber

from api.tests.factories import bearer
from faces.engines.rekognition import RekognitionEngine
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import jpeg


def _b64(image) -> str:
    return base64.b64encode(jpeg(image)).decode()


def _post(client, key, route, body):
    return client.post(f"/api/rekognition/{route}", body, content_type="application/json", **bearer(key))


def test_a_selfie_matches_the_group_photo_it_was_taken_from(client, owner_key):
    group = face_images.group_photo()
    selfie = selfie_of(group, GROUP_PHOTO_FACE_CENTRES[2], face_px=110)

    response = _post(client, owner_key, "compare", {"source_image": _b64(selfie), "target_image": _b64(group)})

    assert response.status_code == 200
    body = response.json()
    assert body["match"] is True
    assert 80 <= body["similarity"] <= 100


def test_someone_else_does_not_match(client, owner_key):
    body = {"source_image": _b64(face_images.tom_hanks()), "target_image": _b64(face_images.group_photo())}

    response = _post(client, owner_key, "compare", body)

    assert response.status_code == 200
    assert response.json()["match"] is False


def test_images_without_faces_do_not_match_with_similarity_zero(client, owner_key):
    body = {"source_image": _b64(face_images.table()), "target_image": _b64(face_images.group_photo())}

    assert _post(client, owner_key, "compare", body).json() == {"match": False, "similarity": 0.0}


def test_detect_gives_every_face_in_rekognitions_shape(client, owner_key):
    group = face_images.group_photo()
    data_url = "data:image/jpeg;base64," + _b64(group)

    response = _post(client, owner_key, "detect", {"image": data_url})

    assert response.status_code == 200
    faces = response.json()
    assert len(faces) == 6
    for face in faces:
        box = face["BoundingBox"]
        assert set(box) == {"Width", "Height", "Left", "Top"}
        assert 0 <= box["Left"] <= 1 and 0 < box["Width"] <= 1
        assert 0 < face["Confidence"] <= 100
        assert {landmark["Type"] for landmark in face["Landmarks"]} >= {"eyeLeft", "eyeRight", "nose"}
    centres = sorted((b["Left"] + b["Width"] / 2) * group.width for b in (f["BoundingBox"] for f in faces))
    assert all(abs(x - cx) < 60 for x, (cx, _) in zip(centres, GROUP_PHOTO_FACE_CENTRES, strict=True))


def test_detect_on_an_image_without_faces_is_an_empty_list(client, owner_key):
    assert _post(client, owner_key, "detect", {"image": _b64(face_images.table())}).json() == []


@pytest.mark.parametrize(
    ("route", "body", "status", "field"),
    [
        ("detect", {"image": "not base64!"}, 400, "image"),
        ("detect", {"image": base64.b64encode(b"%PDF-1.7 not an image").decode()}, 400, "image"),
        ("detect", {"image": ""}, 422, "image"),
        ("detect", {"image": 42}, 422, "image"),
        ("detect", {}, 422, "image"),
        ("compare", {"source_image": "aGVsbG8="}, 422, "target_image"),
        ("compare", {"source_image": "@@@", "target_image": "aGVsbG8="}, 400, "source_image"),
    ],
    ids=["bad base64", "not an image", "empty", "wrong type", "missing", "missing target", "bad source"],
)
def test_bad_input_is_refused_with_the_field_named(client, owner_key, route, body, status, field):
    response = _post(client, owner_key, route, body)

    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_an_image_over_the_selfie_limit_is_too_large(client, owner_key, settings):
    settings.SELFIE_MAX_MB = 0

    response = _post(client, owner_key, "detect", {"image": _b64(face_images.tom_hanks())})

    assert response.status_code == 413


def test_compare_and_detect_need_a_key(client, db):
    image = _b64(face_images.tom_hanks())

    assert client.post("/api/rekognition/detect", {"image": image}, content_type="application/json").status_code == 401


@pytest.fixture
def rekognition(monkeypatch, settings):
    """The Rekognition engine with a real client whose calls botocore's Stubber answers."""
    settings.FACE_ENGINE = "rekognition"
    client = boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    engine = RekognitionEngine(region="us-east-1", client=client, match_threshold=80.0)
    monkeypatch.setattr("faces.engines.get_engine", lambda: engine)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_detect_through_rekognition_keeps_its_answer(client, owner_key, rekognition):
    face = {
        "BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": 0.4, "Top": 0.1},
        "Confidence": 99.5,
        "Landmarks": [{"Type": "eyeLeft", "X": 0.45, "Y": 0.2}, {"Type": "nose", "X": 0.5, "Y": 0.25}],
    }
    rekognition.add_response("detect_faces", {"FaceDetails": [face]}, {"Image": ANY, "Attributes": ["DEFAULT"]})

    response = _post(client, owner_key, "detect", {"image": _b64(face_images.tom_hanks())})

    assert response.status_code == 200
    assert response.json() == [face]


def test_compare_through_rekognition(client, owner_key, rekognition):
    rekognition.add_response(
        "compare_faces",
        {
            "FaceMatches": [
                {"Similarity": 97.3, "Face": {"BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": 0.1, "Top": 0.1}}}
            ],
            "UnmatchedFaces": [],
        },
        {"SourceImage": ANY, "TargetImage": ANY, "SimilarityThreshold": ANY},
    )
    body = {"source_image": _b64(face_images.tom_hanks()), "target_image": _b64(face_images.group_photo())}

    response = _post(client, owner_key, "compare", body)

    assert response.json() == {"match": True, "similarity": 97.3}


def test_a_rekognition_outage_is_unavailable_not_a_server_error(client, owner_key, rekognition):
    rekognition.add_client_error("detect_faces", "ThrottlingException", http_status_code=400)

    response = _post(client, owner_key, "detect", {"image": _b64(face_images.tom_hanks())})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
