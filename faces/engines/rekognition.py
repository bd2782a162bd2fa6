"""The Amazon Rekognition face engine: one face collection per gallery, kept and
searched by the service.

The boto3 client is made once per engine, with explicit timeouts and botocore's
"standard" retry mode. That mode already retries, with exponential backoff and jitter,
what Rekognition answers when it is busy or failing: ThrottlingException,
ProvisionedThroughputExceededException and LimitExceededException (by error code),
InternalServerError and any other 500/502/503/504 (by status), 429s, connection errors
and read timeouts (botocore/retries/standard.py). Nothing is retried here on top of it.
Whatever is left after the retries becomes a FaceEngineError whose message can be shown
to an organizer; image refusals become ImageNotUsable.

Images go as JPEG bytes of the upright (EXIF-oriented) picture, so that Rekognition's
boxes are ratios of what people see. The service's set limits (Guidelines and quotas,
and the service model's ImageBlob): at most 5 MiB of bytes, at least 80 px on each side,
JPEG or PNG. There is no maximum width or height for the face operations; a photo over
the byte limit is brought down to 4096 px on its long edge, then to lower JPEG
qualities, until it fits.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from PIL import Image, ImageOps

from faces.engines.base import (
    CollectionMatch,
    DetectedFace,
    FaceBox,
    FaceEngine,
    FaceEngineError,
    ImageNotUsable,
    IndexedFace,
    Landmark,
    SelfieFace,
    selfie_face_index,
)

# The service model's ImageBlob max: 5 MiB of raw bytes (botocore does not check it,
# the service answers ImageTooLargeException).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MIN_SIDE_PX = 80
# Where an oversized photo is brought first. Rekognition finds faces down to 40 px in
# 1920 x 1080 and proportionally larger ones in bigger images, so 4096 px loses none.
_MAX_SIDE_PX = 4096
_QUALITIES = (90, 80, 70, 60, 50)
# IndexFaces keeps at most 100 faces a photo whatever MaxFaces says; SearchFacesByImage
# returns and DeleteFaces takes at most 4096.
MAX_FACES_PER_PHOTO = 100
MAX_SEARCH_RESULTS = 4096
DELETE_BATCH = 4096
# Room around the selfie's face, in face sizes on each side: enough for the service to
# find the face again, while the other faces of a group selfie are cut or left out.
_SELFIE_MARGIN = 0.75

_NO_FACE_MESSAGE = "no faces in the image"
_IMAGE_OPERATIONS = {"DetectFaces", "IndexFaces", "SearchFacesByImage", "CompareFaces"}
_BUSY_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "TooManyRequestsException",
}
_SERVICE_FAILURE_CODES = {"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException"}
_CREDENTIAL_CODES = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
}


class RekognitionEngine(FaceEngine):
    """Amazon Rekognition; each gallery's faces live in their own collection there."""

    name = "rekognition"
    searches_in_database = False

    def __init__(
        self,
        *,
        region: str | None,
        access_key: str | None = None,
        secret_key: str | None = None,
        endpoint_url: str | None = None,
        match_threshold: float = 80.0,
        copy_similarity: float = 99.8,
        max_attempts: int = 5,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        client=None,
    ):
        self.match_threshold = match_threshold
        self.copy_similarity = copy_similarity
        if client is None:
            config = Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                # total_max_attempts counts the first attempt; botocore's max_attempts
                # would count only the retries after it.
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
            )
            # A session of its own: boto3's default session is not safe to make clients
            # from in several threads at once.
            session = boto3.session.Session(
                aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
            )
            try:
                client = session.client("rekognition", endpoint_url=endpoint_url, config=config)
            except BotoCoreError as exc:
                raise _botocore_error("setup", exc) from exc
        self._client = client

    # --- Stateless operations ---------------------------------------------------------

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        """The faces of the image, largest first."""
        data = _jpeg(_upright_rgb(image))
        with _translated_errors("DetectFaces"):
            response = self._client.detect_faces(Image={"Bytes": data}, Attributes=["DEFAULT"])
            faces = [DetectedFace(**_face_fields(detail)) for detail in response.get("FaceDetails", [])]
        return sorted(faces, key=lambda face: -face.area)

    def describe_selfie(self, image: Image.Image) -> SelfieFace | None:
        upright = _upright_rgb(image)
        data = _jpeg(upright)
        with _translated_errors("DetectFaces"):
            response = self._client.detect_faces(Image={"Bytes": data}, Attributes=["DEFAULT"])
            faces = [_face_fields(detail) for detail in response.get("FaceDetails", [])]
        if not faces:
            return None
        faces.sort(key=lambda fields: fields["box"].width * fields["box"].height, reverse=True)
        chosen = selfie_face_index([fields["box"] for fields in faces])
        face = faces[chosen if chosen is not None else 0]
        return SelfieFace(
            **face,
            faces_in_image=len(faces),
            ambiguous=chosen is None,
            image=_crop_around(upright, face["box"]),
        )

    def compare(self, source: Image.Image, target: Image.Image) -> float | None:
        source_data, target_data = _jpeg(_upright_rgb(source)), _jpeg(_upright_rgb(target))
        with _translated_errors("CompareFaces"):
            try:
                response = self._client.compare_faces(
                    SourceImage={"Bytes": source_data},
                    TargetImage={"Bytes": target_data},
                    # Every face of the target, so that the best similarity comes back
                    # even when it is low.
                    SimilarityThreshold=0,
                )
            except ClientError as exc:
                if _is_no_face(exc):
                    return None
                raise
            similarities = [float(match["Similarity"]) for match in response.get("FaceMatches", [])]
        return max(similarities) if similarities else None

    def is_copy(self, nearest: float) -> bool:
        """`nearest` is the highest similarity of a gallery face to the selfie's: a copy of
        the photo scores 99.9 and more, another photo of the person rarely above 99."""
        return nearest >= self.copy_similarity

    # --- Collections --------------------------------------------------------------------

    def ensure_collection(self, collection: str) -> None:
        with _translated_errors("CreateCollection"):
            try:
                self._client.create_collection(CollectionId=collection)
            except ClientError as exc:
                if _code(exc) != "ResourceAlreadyExistsException":
                    raise

    def index(self, image: Image.Image, *, collection: str, photo_id: int) -> list[IndexedFace]:
        """Adds the photo's faces (the 100 largest that pass Rekognition's quality bar)
        to the gallery's collection, making the collection on first use.

        Indexing the same bytes again under the same photo id adds nothing, but a photo
        indexed again after it changed gets new faces: delete the old ones first.
        """
        params = {
            "CollectionId": collection,
            "Image": {"Bytes": _jpeg(_upright_rgb(image))},
            "ExternalImageId": str(photo_id),
            "DetectionAttributes": ["DEFAULT"],
            "MaxFaces": MAX_FACES_PER_PHOTO,
            "QualityFilter": "AUTO",
        }
        with _translated_errors("IndexFaces"):
            # Creating the collection when the service says it is missing costs one call
            # a gallery, where checking first would cost one a photo.
            try:
                response = self._client.index_faces(**params)
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
                self.ensure_collection(collection)
                response = self._client.index_faces(**params)
            return [
                IndexedFace(
                    **_face_fields(record.get("FaceDetail") or record["Face"]), external_id=record["Face"]["FaceId"]
                )
                for record in response.get("FaceRecords", [])
            ]

    def search_collection(self, selfie: SelfieFace, *, collection: str, limit: int) -> list[CollectionMatch]:
        """The collection's faces like the selfie's, strongest first, down to
        match_threshold. A selfie where the service finds no face, and a gallery
        without a collection yet (nothing indexed), give no matches."""
        if selfie.image is None:
            raise ValueError("search_collection needs a SelfieFace from RekognitionEngine.describe_selfie")
        if limit < 1:
            return []
        data = _jpeg(_upright_rgb(selfie.image))
        with _translated_errors("SearchFacesByImage"):
            try:
                response = self._client.search_faces_by_image(
                    CollectionId=collection,
                    Image={"Bytes": data},
                    MaxFaces=min(limit, MAX_SEARCH_RESULTS),
                    FaceMatchThreshold=self.match_threshold,
                )
            except ClientError as exc:
                if _is_no_face(exc) or _code(exc) == "ResourceNotFoundException":
                    return []
                raise
            matches = [
                CollectionMatch(external_id=match["Face"]["FaceId"], similarity=float(match["Similarity"]))
                for match in response.get("FaceMatches", [])
            ]
        return sorted(matches, key=lambda match: -match.similarity)

    def delete_faces(self, *, collection: str, external_ids: list[str]) -> None:
        """Forgets these faces. Faces, or a whole collection, that are already gone are
        no error."""
        face_ids = list(dict.fromkeys(face_id for face_id in external_ids if face_id))
        with _translated_errors("DeleteFaces"):
            for start in range(0, len(face_ids), DELETE_BATCH):
                try:
                    self._client.delete_faces(CollectionId=collection, FaceIds=face_ids[start : start + DELETE_BATCH])
                except ClientError as exc:
                    if _code(exc) == "ResourceNotFoundException":
                        return
                    raise

    def delete_collection(self, *, collection: str) -> None:
        with _translated_errors("DeleteCollection"):
            try:
                self._client.delete_collection(CollectionId=collection)
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise


# --- Images ---------------------------------------------------------------------------


def _upright_rgb(image: Image.Image) -> Image.Image:
    if image.getexif().get(0x0112, 1) != 1:
        image = ImageOps.exif_transpose(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image, *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The image as JPEG bytes Rekognition takes: under max_bytes, same proportions."""
    if min(image.size) < MIN_SIDE_PX:
        raise ImageNotUsable(
            f"The image is {image.width} x {image.height} pixels; Amazon Rekognition needs at least "
            f"{MIN_SIDE_PX} pixels on each side."
        )
    data = _encode(image, _QUALITIES[0])
    if len(data) <= max_bytes:
        return data
    if max(image.size) > _MAX_SIDE_PX:
        # Never below MIN_SIDE_PX on the short side, however long the panorama.
        image = _resized(image, max(_MAX_SIDE_PX / max(image.size), MIN_SIDE_PX / min(image.size)))
    for quality in _QUALITIES:
        data = _encode(image, quality)
        if len(data) <= max_bytes:
            return data
    # Content that compresses badly (confetti, noise, foliage): fewer pixels, aiming a
    # little under the limit since the size is not quite proportional to the pixels.
    while True:
        image = _resized(image, math.sqrt(max_bytes / len(data)) * 0.9)
        if min(image.size) < MIN_SIDE_PX:
            raise ImageNotUsable("The image cannot be made small enough for Amazon Rekognition.")
        data = _encode(image, _QUALITIES[-1])
        if len(data) <= max_bytes:
            return data


def _encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _resized(image: Image.Image, scale: float) -> Image.Image:
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _crop_around(image: Image.Image, box: FaceBox) -> Image.Image:
    """The selfie cut around the face, at least MIN_SIDE_PX on each side."""
    left, top, right, bottom = box.to_pixels(image.width, image.height)
    margin = round(_SELFIE_MARGIN * max(right - left, bottom - top))
    left, top = max(0, left - margin), max(0, top - margin)
    crop = image.crop((left, top, min(image.width, right + margin), min(image.height, bottom + margin)))
    if min(crop.size) < MIN_SIDE_PX:
        crop = _resized(crop, MIN_SIDE_PX / min(crop.size))
    return crop


# --- Answers ----------------------------------------------------------------------------


def _clip(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _face_fields(detail: dict) -> dict:
    """The DetectedFace fields of a FaceDetail (or a Face). Rekognition's boxes and
    points reach past the image's edges for a face the frame cuts; they are clipped to
    the image, which is where the application draws them."""
    raw = detail["BoundingBox"]
    left, top = _clip(raw["Left"]), _clip(raw["Top"])
    width = max(0.0, min(float(raw["Width"]) - (left - raw["Left"]), 1.0 - left))
    height = max(0.0, min(float(raw["Height"]) - (top - raw["Top"]), 1.0 - top))
    return {
        "box": FaceBox(left=left, top=top, width=width, height=height),
        "confidence": float(detail.get("Confidence", 0.0)),
        "landmarks": [
            Landmark(type=point["Type"], x=_clip(point["X"]), y=_clip(point["Y"]))
            for point in detail.get("Landmarks", [])
        ],
    }


# --- Errors -----------------------------------------------------------------------------


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _is_no_face(exc: ClientError) -> bool:
    # SearchFacesByImage and CompareFaces refuse an image without a face with
    # InvalidParameterException "There are no faces in the image. Should be at least 1."
    message = exc.response.get("Error", {}).get("Message", "")
    return _code(exc) == "InvalidParameterException" and _NO_FACE_MESSAGE in message.lower()


@contextlib.contextmanager
def _translated_errors(operation: str) -> Iterator[None]:
    """botocore's errors, once its retries are spent, and answers without the fields
    the model promises, as the engine's own errors. The messages name the operation and
    the error code, never the service's text or the request."""
    try:
        yield
    except ClientError as exc:
        raise _client_error(operation, exc) from exc
    except BotoCoreError as exc:
        raise _botocore_error(operation, exc) from exc
    except (KeyError, TypeError) as exc:
        raise FaceEngineError(f"Amazon Rekognition gave an unexpected answer to {operation}.") from exc


def _client_error(operation: str, exc: ClientError) -> FaceEngineError:
    code = _code(exc) or "unknown error"
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    if code in {"InvalidImageFormatException", "ImageTooLargeException"} or (
        code == "InvalidParameterException" and operation in _IMAGE_OPERATIONS
    ):
        return ImageNotUsable(f"Amazon Rekognition refused the image ({code}).")
    if code in _BUSY_CODES:
        return FaceEngineError(
            f"Amazon Rekognition is busy and refused {operation} {attempts} times ({code}); try again later."
        )
    if code in _SERVICE_FAILURE_CODES:
        return FaceEngineError(f"Amazon Rekognition failed on {operation} {attempts} times ({code}); try again later.")
    if code in _CREDENTIAL_CODES:
        return FaceEngineError(
            f"Amazon Rekognition refused {operation} ({code}): check the AWS access key, its secret, and "
            f"that the IAM policy allows rekognition:{operation}."
        )
    if code == "ServiceQuotaExceededException":
        return FaceEngineError(f"The gallery's face collection is full; Amazon Rekognition refused {operation}.")
    return FaceEngineError(f"Amazon Rekognition refused {operation} ({code}).")


def _botocore_error(operation: str, exc: BotoCoreError) -> FaceEngineError:
    if isinstance(exc, NoRegionError):
        return FaceEngineError("No AWS region is configured for Amazon Rekognition.")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return FaceEngineError("No complete AWS credentials are configured for Amazon Rekognition.")
    if isinstance(exc, ReadTimeoutError):
        return FaceEngineError(f"Amazon Rekognition did not answer {operation} in time; try again later.")
    if isinstance(exc, BotoConnectionError):
        return FaceEngineError(f"Could not connect to Amazon Rekognition for {operation}; check the network.")
    if isinstance(exc, ParamValidationError):
        return FaceEngineError(f"Eventgallery made an invalid {operation} request to Amazon Rekognition.")
    return FaceEngineError(f"Amazon Rekognition could not be reached for {operation} ({type(exc).__name__}).")
