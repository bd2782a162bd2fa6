"""The Rekognition engine against botocore's own Rekognition model, on real photos.

AWS cannot be reached from the tests. Most tests use botocore's Stubber on a real
client, which checks every request and every canned answer against the service model.
The Stubber answers in the client's `before-call` event, before the endpoint and its
retry handler ever run, so retries cannot be seen through it: the tests of retries,
timeouts and connection errors talk HTTP to a small fake Rekognition on loopback
instead, through the client the engine makes itself.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import boto3
import botocore.endpoint
import numpy as np
import pytest
from botocore.stub import Stubber
from PIL import Image, ImageChops

from faces.engines import rekognition
from faces.engines.base import CollectionMatch, FaceBox, FaceEngineError, ImageNotUsable, IndexedFace, Landmark
from faces.engines.rekognition import MAX_IMAGE_BYTES, RekognitionEngine
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES

COLLECTION = "eventgallery-7"
SECRET = "not-a-real-secret-but-never-shown"
NO_FACE = "There are no faces in the image. Should be at least 1."
SOURCE_FACE = {"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.8, "Height": 0.8}, "Confidence": 99.9}


@pytest.fixture
def client():
    return boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def stubber(client):
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def engine(client, stubber):
    return RekognitionEngine(region="us-east-1", client=client, match_threshold=80.0)


class SentJpeg:
    """Equal to the Bytes of an Image parameter that Rekognition takes: a JPEG of at
    most 5 MiB and 80 px a side. Keeps what it matched, decoded, for the test to look at."""

    __hash__ = None

    def __init__(self):
        self.size = 0
        self.image: Image.Image | None = None

    def __eq__(self, other):
        if not isinstance(other, bytes) or len(other) > MAX_IMAGE_BYTES:
            return False
        image = Image.open(io.BytesIO(other))
        image.load()
        if image.format != "JPEG" or min(image.size) < 80:
            return False
        self.size, self.image = len(other), image
        return True

    def __repr__(self):
        return "<a JPEG of at most 5 MiB>"


def _face_id() -> str:
    return str(uuid.uuid4())


def _box_around(centre: tuple[int, int], size: int, image_size=(1280, 886)) -> dict:
    """A BoundingBox as Rekognition gives it, size px around a point of the group photo."""
    (x, y), (width, height) = centre, image_size
    return {
        "Left": (x - size / 2) / width,
        "Top": (y - size / 2) / height,
        "Width": size / width,
        "Height": size / height,
    }


def _face_detail(box: dict, *, confidence: float = 99.9) -> dict:
    eyes_y = box["Top"] + box["Height"] * 0.4
    return {
        "BoundingBox": box,
        "Confidence": confidence,
        "Landmarks": [
            {"Type": "eyeLeft", "X": box["Left"] + box["Width"] * 0.3, "Y": eyes_y},
            {"Type": "eyeRight", "X": box["Left"] + box["Width"] * 0.7, "Y": eyes_y},
            {"Type": "nose", "X": box["Left"] + box["Width"] * 0.5, "Y": box["Top"] + box["Height"] * 0.6},
        ],
        "Pose": {"Roll": 1.5, "Yaw": -4.0, "Pitch": 2.0},
        "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
    }


def _face_record(detail: dict, *, face_id: str, photo_id: int) -> dict:
    return {
        "Face": {
            "FaceId": face_id,
            "BoundingBox": detail["BoundingBox"],
            "ImageId": str(uuid.uuid4()),
            "ExternalImageId": str(photo_id),
            "Confidence": detail["Confidence"],
        },
        "FaceDetail": detail,
    }


def _index_params(sent: SentJpeg, *, photo_id: int = 42) -> dict:
    return {
        "CollectionId": COLLECTION,
        "Image": {"Bytes": sent},
        "ExternalImageId": str(photo_id),
        "DetectionAttributes": ["DEFAULT"],
        "MaxFaces": 100,
        "QualityFilter": "AUTO",
    }


def _noise(width: int, height: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8))


def _jpeg_size(image: Image.Image, quality: int) -> int:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.tell()


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.asarray(ImageChops.difference(a.convert("RGB"), b.convert("RGB")), np.float32).mean())


# --- Indexing -------------------------------------------------------------------------


def test_it_indexes_a_photo_into_the_gallerys_collection(engine, stubber):
    sent = SentJpeg()
    inside = _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[2], 120), confidence=99.5)
    # Rekognition's box of a face the frame cuts reaches past the image's edge.
    cut = _face_detail({"Left": -0.02, "Top": 0.3, "Width": 0.1, "Height": 0.14}, confidence=97.25)
    cut["Landmarks"][0]["X"] = -0.005
    ids = [_face_id(), _face_id()]
    stubber.add_response(
        "index_faces",
        {
            "FaceRecords": [
                _face_record(inside, face_id=ids[0], photo_id=42),
                _face_record(cut, face_id=ids[1], photo_id=42),
            ],
            "FaceModelVersion": "7.0",
            "UnindexedFaces": [],
        },
        expected_params=_index_params(sent),
    )

    faces = engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=42)

    assert sent.image.size == (1280, 886)
    box = inside["BoundingBox"]
    assert faces[0] == IndexedFace(
        box=FaceBox(left=box["Left"], top=box["Top"], width=box["Width"], height=box["Height"]),
        confidence=99.5,
        landmarks=[Landmark(type=point["Type"], x=point["X"], y=point["Y"]) for point in inside["Landmarks"]],
        external_id=ids[0],
    )
    assert faces[0].descriptor is None
    assert faces[1].external_id == ids[1]
    assert faces[1].box.left == 0.0
    assert faces[1].box.width == pytest.approx(0.08)
    assert faces[1].confidence == 97.25
    assert faces[1].landmarks[0].x == 0.0  # eyeLeft, past the edge too
    assert faces[1].landmarks[1].x == cut["Landmarks"][1]["X"]


def test_it_puts_each_box_on_the_face_rekognition_boxed(engine, stubber):
    # The ratios come back as given: they are ratios of the image sent, which is the
    # photo itself when it is under the byte limit.
    centre = GROUP_PHOTO_FACE_CENTRES[4]
    stubber.add_response(
        "index_faces",
        {"FaceRecords": [_face_record(_face_detail(_box_around(centre, 110)), face_id=_face_id(), photo_id=1)]},
    )

    [face] = engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=1)

    left, top, right, bottom = face.box.to_pixels(1280, 886)
    assert left < centre[0] < right and top < centre[1] < bottom
    assert right - left == 110


def test_it_makes_the_collection_when_indexing_finds_none(engine, stubber):
    first, second = SentJpeg(), SentJpeg()
    stubber.add_client_error(
        "index_faces",
        service_error_code="ResourceNotFoundException",
        service_message=f"The collection id: {COLLECTION} does not exist",
        expected_params=_index_params(first),
    )
    stubber.add_response(
        "create_collection",
        {"StatusCode": 200, "CollectionArn": f"aws:rekognition:us-east-1:123456789012:collection/{COLLECTION}"},
        expected_params={"CollectionId": COLLECTION},
    )
    face_id = _face_id()
    detail = _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[0], 100))
    stubber.add_response(
        "index_faces",
        {"FaceRecords": [_face_record(detail, face_id=face_id, photo_id=42)]},
        expected_params=_index_params(second),
    )

    faces = engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=42)

    assert [face.external_id for face in faces] == [face_id]
    assert first.size == second.size  # the same photo, sent again


def test_it_lets_a_collection_made_meanwhile_be(engine, stubber):
    stubber.add_client_error(
        "create_collection",
        service_error_code="ResourceAlreadyExistsException",
        expected_params={"CollectionId": COLLECTION},
    )

    engine.ensure_collection(COLLECTION)


def test_it_reencodes_a_photo_over_the_byte_limit(engine, stubber):
    photo = _noise(4500, 3000)
    assert _jpeg_size(photo, 90) > MAX_IMAGE_BYTES
    sent = SentJpeg()
    stubber.add_response("index_faces", {"FaceRecords": []}, expected_params=_index_params(sent, photo_id=3))

    assert engine.index(photo, collection=COLLECTION, photo_id=3) == []

    # Down to 4096 px on the long edge, in the same proportions, then to a lower quality.
    assert sent.image.size == (4096, 2731)
    assert 4 * 1024 * 1024 < sent.size <= MAX_IMAGE_BYTES


def test_it_shrinks_further_what_no_quality_brings_under_the_limit():
    photo = _noise(1000, 800)

    data = rekognition._jpeg(photo, max_bytes=100_000)

    image = Image.open(io.BytesIO(data))
    assert len(data) <= 100_000
    assert image.format == "JPEG"
    assert image.width < 1000
    assert image.width / image.height == pytest.approx(1.25, abs=0.01)


def test_it_refuses_an_image_too_small_for_rekognition_without_asking_it(engine, stubber):
    with pytest.raises(ImageNotUsable, match="at least 80 pixels"):
        engine.detect(face_images.group_photo().crop((0, 0, 300, 60)))


def test_it_sends_an_exif_rotated_photo_upright(engine, stubber):
    upright = face_images.group_photo()
    # Stored turned a quarter to the left, with the tag that says to turn it right.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = face_images.reencoded(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)
    assert stored.size == (886, 1280)
    sent = SentJpeg()
    stubber.add_response(
        "detect_faces",
        {"FaceDetails": [_face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[1], 110))]},
        expected_params={"Image": {"Bytes": sent}, "Attributes": ["DEFAULT"]},
    )

    [face] = engine.detect(stored)

    assert sent.image.size == (1280, 886)
    assert _mean_difference(sent.image, upright) < 6
    assert sent.image.getexif().get(0x0112) is None  # nothing left for Rekognition to turn again
    left, top, right, bottom = face.box.to_pixels(*upright.size)
    x, y = GROUP_PHOTO_FACE_CENTRES[1]
    assert left < x < right and top < y < bottom


def test_it_detects_faces_largest_first(engine, stubber):
    sizes = [90, 130, 110]
    stubber.add_response(
        "detect_faces",
        {
            "FaceDetails": [
                _face_detail(_box_around(centre, size))
                for centre, size in zip(GROUP_PHOTO_FACE_CENTRES, sizes, strict=False)
            ]
        },
    )

    faces = engine.detect(face_images.group_photo())

    assert [round(face.box.width * 1280) for face in faces] == [130, 110, 90]


# --- Selfies and search -----------------------------------------------------------------


def test_it_describes_the_largest_face_of_a_selfie_and_crops_around_it(engine, stubber):
    photo = face_images.group_photo()
    largest = _box_around(GROUP_PHOTO_FACE_CENTRES[2], 140)
    sent = SentJpeg()
    stubber.add_response(
        "detect_faces",
        {
            "FaceDetails": [
                _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[0], 100)),
                _face_detail(largest, confidence=99.0),
                _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[3], 120)),
            ]
        },
        expected_params={"Image": {"Bytes": sent}, "Attributes": ["DEFAULT"]},
    )

    selfie = engine.describe_selfie(photo)

    assert selfie.faces_in_image == 3
    # Three faces of about one size, none of them in the middle: a group selfie.
    assert selfie.ambiguous is True
    assert selfie.confidence == 99.0
    assert selfie.box == FaceBox(
        left=largest["Left"], top=largest["Top"], width=largest["Width"], height=largest["Height"]
    )
    assert selfie.descriptor is None
    # 140 px and 105 px (0.75 of the face) on each side: the face with room, the
    # neighbours at 190 px and more out of it.
    left, top, right, bottom = selfie.box.to_pixels(*photo.size)
    region = (left - 105, top - 105, right + 105, bottom + 105)
    assert selfie.image.size == (350, 350)
    assert _mean_difference(selfie.image, photo.crop(region)) == 0
    inside = [(x, y) for x, y in GROUP_PHOTO_FACE_CENTRES if region[0] <= x < region[2] and region[1] <= y < region[3]]
    assert inside == [GROUP_PHOTO_FACE_CENTRES[2]]


def test_of_two_faces_of_about_one_size_it_takes_the_one_in_the_middle(engine, stubber):
    photo = face_images.group_photo().crop((312, 172, 972, 672))  # 660 x 500
    beside, in_the_middle = _box_around((100, 200), 130, (660, 500)), _box_around((330, 250), 110, (660, 500))
    stubber.add_response(
        "detect_faces",
        {"FaceDetails": [_face_detail(beside), _face_detail(in_the_middle, confidence=98.0)]},
        expected_params={"Image": {"Bytes": SentJpeg()}, "Attributes": ["DEFAULT"]},
    )

    selfie = engine.describe_selfie(photo)

    assert selfie.faces_in_image == 2 and selfie.ambiguous is False
    assert selfie.confidence == 98.0
    assert selfie.box.left == in_the_middle["Left"] and selfie.box.width == in_the_middle["Width"]


def test_it_crops_a_selfie_face_at_the_edge_within_the_photo(engine, stubber):
    photo = face_images.tom_hanks()
    stubber.add_response(
        "detect_faces", {"FaceDetails": [_face_detail({"Left": 0.1, "Top": 0.05, "Width": 0.8, "Height": 0.95})]}
    )

    selfie = engine.describe_selfie(photo)

    assert selfie.faces_in_image == 1
    assert selfie.image.size == photo.size


def test_it_finds_no_selfie_face_where_rekognition_finds_none(engine, stubber):
    stubber.add_response("detect_faces", {"FaceDetails": []})

    assert engine.describe_selfie(face_images.table()) is None


def _selfie(engine, stubber):
    stubber.add_response("detect_faces", {"FaceDetails": [_face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[5], 120))]})
    return engine.describe_selfie(face_images.group_photo())


def test_it_searches_the_collection_with_the_selfies_face(engine, stubber):
    selfie = _selfie(engine, stubber)
    ids = [_face_id() for _ in range(3)]
    sent = SentJpeg()
    stubber.add_response(
        "search_faces_by_image",
        {
            "SearchedFaceBoundingBox": {"Left": 0.25, "Top": 0.25, "Width": 0.4, "Height": 0.4},
            "SearchedFaceConfidence": 99.9,
            "FaceMatches": [
                {"Similarity": 91.5, "Face": {"FaceId": ids[0], "ExternalImageId": "11", "Confidence": 99.0}},
                {"Similarity": 99.2, "Face": {"FaceId": ids[1], "ExternalImageId": "12", "Confidence": 99.0}},
                {"Similarity": 80.1, "Face": {"FaceId": ids[2], "ExternalImageId": "11", "Confidence": 98.0}},
            ],
            "FaceModelVersion": "7.0",
        },
        expected_params={
            "CollectionId": COLLECTION,
            "Image": {"Bytes": sent},
            "MaxFaces": 50,
            "FaceMatchThreshold": 80.0,
        },
    )

    matches = engine.search_collection(selfie, collection=COLLECTION, limit=50)

    assert matches == [
        CollectionMatch(external_id=ids[1], similarity=99.2),
        CollectionMatch(external_id=ids[0], similarity=91.5),
        CollectionMatch(external_id=ids[2], similarity=80.1),
    ]
    assert sent.image.size == selfie.image.size  # the crop, not the whole selfie


def test_it_asks_for_at_most_4096_matches(engine, stubber):
    selfie = _selfie(engine, stubber)
    stubber.add_response(
        "search_faces_by_image",
        {"FaceMatches": []},
        expected_params={
            "CollectionId": COLLECTION,
            "Image": {"Bytes": SentJpeg()},
            "MaxFaces": 4096,
            "FaceMatchThreshold": 80.0,
        },
    )

    assert engine.search_collection(selfie, collection=COLLECTION, limit=100_000) == []


def test_it_finds_nothing_when_rekognition_sees_no_face_in_the_selfie(engine, stubber):
    selfie = _selfie(engine, stubber)
    stubber.add_client_error(
        "search_faces_by_image", service_error_code="InvalidParameterException", service_message=NO_FACE
    )

    assert engine.search_collection(selfie, collection=COLLECTION, limit=10) == []


def test_it_finds_nothing_in_a_gallery_with_no_collection_yet(engine, stubber):
    selfie = _selfie(engine, stubber)
    stubber.add_client_error("search_faces_by_image", service_error_code="ResourceNotFoundException")

    assert engine.search_collection(selfie, collection=COLLECTION, limit=10) == []


# --- Deleting -------------------------------------------------------------------------


def test_it_deletes_faces_in_batches_of_4096(engine, stubber):
    ids = [_face_id() for _ in range(4096 * 2 + 10)]
    for batch in (ids[:4096], ids[4096:8192], ids[8192:]):
        stubber.add_response(
            "delete_faces",
            {"DeletedFaces": batch},
            expected_params={"CollectionId": COLLECTION, "FaceIds": batch},
        )

    # Faces without an id (a photo indexed by the local engine) and repeats are left out.
    engine.delete_faces(collection=COLLECTION, external_ids=ids + ["", ids[0]])


def test_it_deletes_nothing_when_there_are_no_faces(engine, stubber):
    engine.delete_faces(collection=COLLECTION, external_ids=[])


def test_it_deletes_no_faces_from_a_collection_already_gone(engine, stubber):
    ids = [_face_id() for _ in range(5000)]
    stubber.add_client_error(
        "delete_faces",
        service_error_code="ResourceNotFoundException",
        expected_params={"CollectionId": COLLECTION, "FaceIds": ids[:4096]},
    )

    engine.delete_faces(collection=COLLECTION, external_ids=ids)


def test_it_deletes_a_collection(engine, stubber):
    stubber.add_response("delete_collection", {"StatusCode": 200}, expected_params={"CollectionId": COLLECTION})

    engine.delete_collection(collection=COLLECTION)


def test_it_deletes_a_collection_already_gone_quietly(engine, stubber):
    stubber.add_client_error(
        "delete_collection",
        service_error_code="ResourceNotFoundException",
        expected_params={"CollectionId": COLLECTION},
    )

    engine.delete_collection(collection=COLLECTION)


# --- Comparing ------------------------------------------------------------------------


def test_it_compares_with_the_best_similarity_of_any_target_face(engine, stubber):
    source, target = SentJpeg(), SentJpeg()
    stubber.add_response(
        "compare_faces",
        {
            "SourceImageFace": SOURCE_FACE,
            "FaceMatches": [
                {"Similarity": 12.5, "Face": {"BoundingBox": _box_around(GROUP_PHOTO_FACE_CENTRES[0], 100)}},
                {"Similarity": 64.25, "Face": {"BoundingBox": _box_around(GROUP_PHOTO_FACE_CENTRES[1], 100)}},
            ],
            "UnmatchedFaces": [],
        },
        expected_params={"SourceImage": {"Bytes": source}, "TargetImage": {"Bytes": target}, "SimilarityThreshold": 0},
    )

    assert engine.compare(face_images.tom_hanks(), face_images.group_photo()) == 64.25
    assert source.image.size == (112, 112)
    assert target.image.size == (1280, 886)


def test_it_compares_to_none_when_the_source_has_no_face(engine, stubber):
    stubber.add_client_error("compare_faces", service_error_code="InvalidParameterException", service_message=NO_FACE)

    assert engine.compare(face_images.table(), face_images.group_photo()) is None


def test_it_compares_to_none_when_the_target_has_no_face(engine, stubber):
    stubber.add_response(
        "compare_faces",
        {
            "SourceImageFace": SOURCE_FACE,
            "FaceMatches": [],
            "UnmatchedFaces": [],
        },
    )

    assert engine.compare(face_images.tom_hanks(), face_images.table()) is None


# --- Errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, service_message",
    [
        ("InvalidImageFormatException", "Request has invalid image format"),
        ("ImageTooLargeException", "Image size is too large"),
        ("InvalidParameterException", "Request has invalid parameters"),
    ],
)
def test_it_reports_an_image_rekognition_refuses_as_not_usable(engine, stubber, code, service_message):
    stubber.add_client_error("detect_faces", service_error_code=code, service_message=service_message)

    with pytest.raises(ImageNotUsable) as raised:
        engine.detect(face_images.group_photo())

    assert str(raised.value) == f"Amazon Rekognition refused the image ({code})."


def test_it_reports_refused_credentials_without_the_services_words(engine, stubber):
    stubber.add_client_error(
        "index_faces",
        service_error_code="AccessDeniedException",
        service_message=(
            "User: arn:aws:iam::123456789012:user/gallery is not authorized to perform: rekognition:IndexFaces"
        ),
        http_status_code=400,
    )

    with pytest.raises(FaceEngineError) as raised:
        engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=1)

    assert not isinstance(raised.value, ImageNotUsable)
    message = str(raised.value)
    assert message == (
        "Amazon Rekognition refused IndexFaces (AccessDeniedException): check the AWS access key, its secret, "
        "and that the IAM policy allows rekognition:IndexFaces."
    )
    assert "arn:" not in message and "123456789012" not in message


def test_it_reports_a_full_collection(engine, stubber):
    stubber.add_client_error("index_faces", service_error_code="ServiceQuotaExceededException")

    with pytest.raises(FaceEngineError, match="face collection is full"):
        engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=1)


def test_it_reports_a_collection_it_may_not_make(engine, stubber):
    stubber.add_client_error("delete_collection", service_error_code="InvalidParameterException")

    with pytest.raises(FaceEngineError) as raised:
        engine.delete_collection(collection=COLLECTION)

    assert type(raised.value) is FaceEngineError  # no image was involved
    assert str(raised.value) == "Amazon Rekognition refused DeleteCollection (InvalidParameterException)."


def test_it_reports_an_answer_without_the_fields_it_needs(engine, stubber):
    # The model makes no output field required; a record without its Face is valid to it.
    stubber.add_response("index_faces", {"FaceRecords": [{"FaceDetail": _face_detail(_box_around((600, 400), 100))}]})

    with pytest.raises(FaceEngineError, match="unexpected answer to IndexFaces"):
        engine.index(face_images.group_photo(), collection=COLLECTION, photo_id=1)


def test_it_reports_a_missing_region(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))

    with pytest.raises(FaceEngineError, match="No AWS region"):
        RekognitionEngine(region=None, access_key="testing", secret_key=SECRET)


# --- Retries, timeouts and the network, over HTTP ---------------------------------------


class FakeRekognition:
    """Rekognition's JSON protocol on loopback, answering from a script: a list of
    (HTTP status, body), the last repeated once the others are used up."""

    def __init__(self, answers: list[tuple[int, dict]], *, delay: float = 0.0):
        self.answers = list(answers)
        self.requests: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append((self.headers["X-Amz-Target"], json.loads(body)))
                status, answer = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                time.sleep(delay)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _error(code: str) -> dict:
    return {"__type": code, "Message": f"{code} from the fake service"}


@pytest.fixture
def backoffs(monkeypatch):
    """The delays botocore's retry handler asks for, recorded instead of slept."""
    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=delays.append))
    return delays


def _http_engine(url: str, **options) -> RekognitionEngine:
    return RekognitionEngine(
        region="us-east-1", access_key="testing", secret_key=SECRET, endpoint_url=url, connect_timeout=2, **options
    )


def test_it_makes_its_client_with_timeouts_and_standard_retries():
    engine = RekognitionEngine(region="eu-west-1", access_key="testing", secret_key=SECRET)

    config = engine._client.meta.config
    assert config.retries == {"total_max_attempts": 5, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout) == (5, 30)
    assert engine._client.meta.region_name == "eu-west-1"


def test_it_lets_botocore_retry_a_throttled_or_failing_service(backoffs):
    detail = _face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[0], 100))
    answers = [
        (400, _error("ThrottlingException")),
        (400, _error("ProvisionedThroughputExceededException")),
        (500, _error("InternalServerError")),
        (200, {"FaceDetails": [detail]}),
    ]
    with FakeRekognition(answers) as service:
        faces = _http_engine(service.url, max_attempts=5).detect(face_images.group_photo())

    assert len(faces) == 1
    assert [target for target, _ in service.requests] == ["RekognitionService.DetectFaces"] * 4
    assert len(backoffs) == 3
    _, body = service.requests[-1]
    assert body["Attributes"] == ["DEFAULT"]
    assert Image.open(io.BytesIO(base64.b64decode(body["Image"]["Bytes"]))).format == "JPEG"


def test_it_gives_up_after_the_attempts_it_is_allowed(backoffs):
    with FakeRekognition([(400, _error("ThrottlingException"))]) as service:
        engine = _http_engine(service.url, max_attempts=3)
        with pytest.raises(FaceEngineError) as raised:
            engine.index(face_images.tom_hanks(), collection=COLLECTION, photo_id=5)

    assert len(service.requests) == 3
    assert str(raised.value) == (
        "Amazon Rekognition is busy and refused IndexFaces 3 times (ThrottlingException); try again later."
    )


def test_it_does_not_retry_what_trying_again_cannot_fix(backoffs):
    with (
        FakeRekognition([(400, _error("AccessDeniedException"))]) as service,
        pytest.raises(FaceEngineError, match="AccessDeniedException"),
    ):
        _http_engine(service.url).delete_collection(collection=COLLECTION)

    assert len(service.requests) == 1
    assert backoffs == []


def test_it_gives_up_on_a_service_that_does_not_answer_in_time(backoffs):
    with FakeRekognition([(200, {"StatusCode": 200})], delay=1.0) as service:
        engine = _http_engine(service.url, max_attempts=2, read_timeout=0.2)
        with pytest.raises(FaceEngineError) as raised:
            engine.delete_collection(collection=COLLECTION)

    assert len(service.requests) == 2  # a read timeout is retried too
    assert str(raised.value) == "Amazon Rekognition did not answer DeleteCollection in time; try again later."


def test_it_reports_a_service_it_cannot_connect_to(backoffs):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    engine = _http_engine(f"http://127.0.0.1:{port}", max_attempts=2)

    with pytest.raises(FaceEngineError) as raised:
        engine.detect(face_images.tom_hanks())

    assert str(raised.value) == "Could not connect to Amazon Rekognition for DetectFaces; check the network."
    assert len(backoffs) == 1  # connection errors are retried
    assert SECRET not in str(raised.value)
