"""/api/rekognition/: the original service's compare and detect, on either face engine.
The images are read in memory and dropped."""

import base64
import binascii
import io

from django.conf import settings
from ninja import Router

from api.auth import key_required
from api.errors import ApiError
from api.routes.common import ERROR_STATUSES
from api.schemas import CompareIn, CompareOut, DetectIn, ErrorOut, FaceDetail
from faces.engines.base import FaceEngineError, ImageNotUsable
from faces.services.compare import faces_compare, faces_detect
from faces.services.search import read_image
from galleries.imaging import ImageRejected

router = Router(tags=["rekognition"])


def _image(value: str, field: str):
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        content = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_base64", f"{field} is not valid base64.", field=field)
    if not content:
        raise ApiError(400, "rejected", f"{field} is empty.", field=field)
    if len(content) > settings.SELFIE_MAX_MB * 1024 * 1024:
        raise ApiError(413, "too_large", f"{field} is larger than {settings.SELFIE_MAX_MB} MB.", field=field)
    try:
        return read_image(io.BytesIO(content))
    except ImageRejected as exc:
        raise ApiError(400, "rejected", f"{field}: {exc}", field=field)


def _engine_failed(exc: FaceEngineError):
    if isinstance(exc, ImageNotUsable):
        return ApiError(400, "rejected", "The face engine could not use this image.")
    return ApiError(503, "unavailable", "Face detection is unavailable right now. Please try again in a minute.")


@router.post("/compare", auth=key_required, response={200: CompareOut, ERROR_STATUSES: ErrorOut})
def compare(request, payload: CompareIn):
    """Whether the largest face of the source image is in the target image, with the
    similarity (0-100) of the closest face; no face in either: no match, 0."""
    source = _image(payload.source_image, "source_image")
    target = _image(payload.target_image, "target_image")
    try:
        result = faces_compare(source=source, target=target)
    except FaceEngineError as exc:
        raise _engine_failed(exc)
    return {"match": result.match, "similarity": result.similarity}


@router.post("/detect", auth=key_required, response={200: list[FaceDetail], ERROR_STATUSES: ErrorOut})
def detect(request, payload: DetectIn):
    """Every face of the image in Rekognition's FaceDetails shape: the box as ratios of
    the image, the confidence (0-100), and landmarks where the engine gives them."""
    image = _image(payload.image, "image")
    try:
        faces = faces_detect(image=image)
    except FaceEngineError as exc:
        raise _engine_failed(exc)
    return [
        {
            "BoundingBox": {
                "Width": face.box.width,
                "Height": face.box.height,
                "Left": face.box.left,
                "Top": face.box.top,
            },
            "Confidence": face.confidence,
            "Landmarks": [{"Type": point.type, "X": point.x, "Y": point.y} for point in face.landmarks],
        }
        for face in faces
    ]
