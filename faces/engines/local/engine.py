"""The local engine: every face of a photo, or the guest's of a selfie, with its
5-point landmarks and its ResNet descriptor, and the FaceEngine that gives them to the
application as the interface's dataclasses.

Pure functions over Pillow images: no storage, no Django. Comparing descriptors is
the search's arithmetic (faces/search.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import dlib
import numpy as np
from PIL import Image

from faces.engines.base import (
    DetectedFace,
    FaceBox,
    FaceEngine,
    IndexedFace,
    Landmark,
    SelfieFace,
    selfie_face_index,
)
from faces.engines.local.detection import (
    DEFAULT_MIN_FACE_PX,
    Detection,
    detect,
    detect_with_cnn,
    upright,
)
from faces.engines.local.models import loaded_models
from faces.search import MATCH_DISTANCE, distance, similarity

# A face this near to a gallery face is that photo copied (faces/copies.py). Measured
# (bench/README.md, "Copies of gallery photos"): the display image, crops, turned and
# re-encoded copies of a photo lie 0.10-0.20 from its face at the 95th percentile, other
# photos of the same person 0.199 at the very least (one LFW pair in 873; 0.33 in dev).
COPY_DISTANCE = 0.18
_CHIP_SIZE = 150
_CHIP_PADDING = 0.25


@dataclass(frozen=True)
class Box:
    """A face's box in pixels of the image given (after EXIF orientation)."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class LocalFace:
    box: Box
    score: float  # the detector's confidence, higher is surer
    landmarks: list[tuple[float, float]]  # the 5 points of the 5-point model, image pixels
    descriptor: np.ndarray  # float32, shape (128,)


def find_faces(image: Image.Image, *, min_face_px: int | None = None) -> list[LocalFace]:
    """Every face in the image, largest first, with landmarks and descriptors.

    min_face_px is the height of the smallest face worth finding (40 px by default).
    Images up to 4.5 MP (18 MP at the fine scale 80 / min_face_px) are scanned whole at
    the fine scale. In bigger ones, faces smaller than what the coarse scan finds
    outright (85 px in 6000 x 4000) are found where it flags them or beside the small
    faces found.
    """
    image = upright(image)
    if image.width < 8 or image.height < 8:
        return []
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    gray = image.convert("L")
    detections = detect(gray, min_face_px=min_face_px or DEFAULT_MIN_FACE_PX)
    return _describe(rgb, detections)


def describe_largest_face(image: Image.Image) -> tuple[LocalFace | None, list[float]]:
    """The largest face of a selfie (or None) and the sizes of every face the selfie
    has, largest first."""
    image = upright(image)
    detections = _selfie_detections(image)
    faces = _describe(_rgb(image), detections[:1])
    return (faces[0] if faces else None), [d.size for d in detections]


def describe_selfie_face(image: Image.Image) -> tuple[LocalFace | None, list[Detection], bool]:
    """The guest's face of a selfie (faces.engines.base.selfie_face_index) described,
    or None when it has none; every face it has, largest first; and whether which one is
    the guest's could not be told (then the face described is the largest)."""
    image = upright(image)
    detections = _selfie_detections(image)
    boxes = [
        FaceBox(
            left=d.left / image.width,
            top=d.top / image.height,
            width=(d.right - d.left) / image.width,
            height=(d.bottom - d.top) / image.height,
        )
        for d in detections
    ]
    chosen = selfie_face_index(boxes)
    faces = _describe(_rgb(image), [detections[chosen if chosen is not None else 0]] if detections else [])
    return (faces[0] if faces else None), detections, bool(detections) and chosen is None


def _selfie_detections(image: Image.Image) -> list[Detection]:
    """Every face of a selfie, largest first. The HOG detector misses faces tilted by
    more than about 45 degrees, which selfies often are; only when it finds nothing does
    the slower CNN detector get a turn."""
    if image.width < 8 or image.height < 8:
        return []
    # The face of a selfie is big: 80 px is plenty, and it keeps a 12 MP selfie quick.
    detections = detect(image.convert("L"), min_face_px=max(80, min(image.size) // 12))
    if not detections:
        detections = detect_with_cnn(_rgb(image))
    return sorted(detections, key=lambda d: d.size, reverse=True)


def _rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")


def _describe(rgb: Image.Image, detections: list[Detection]) -> list[LocalFace]:
    if not detections:
        return []
    models = loaded_models()
    faces, chips = [], []
    for d in detections:
        left, top = max(0, round(d.left)), max(0, round(d.top))
        right, bottom = min(rgb.width, round(d.right)), min(rgb.height, round(d.bottom))
        if right - left < 2 or bottom - top < 2:
            continue
        # Landmarks and chips come from the full-resolution pixels, whatever scale the
        # face was found at, so that small faces still get good descriptors. Each face
        # is cut out with room for its chip (padding 0.25, any rotation): numpy's copy of
        # a whole 24 MP image alone takes 0.2-0.3 s.
        margin = max(right - left, bottom - top)
        x0, y0 = max(0, left - margin), max(0, top - margin)
        pixels = np.asarray(rgb.crop((x0, y0, min(rgb.width, right + margin), min(rgb.height, bottom + margin))))
        shape = models.shape_predictor(pixels, dlib.rectangle(left - x0, top - y0, right - 1 - x0, bottom - 1 - y0))
        chips.append(dlib.get_face_chip(pixels, shape, size=_CHIP_SIZE, padding=_CHIP_PADDING))
        faces.append(
            (
                Box(left, top, right - left, bottom - top),
                float(d.score),
                [(float(p.x + x0), float(p.y + y0)) for p in shape.parts()],
            )
        )
    descriptors = models.descriptor_net.describe(chips)
    return [
        LocalFace(box=box, score=score, landmarks=landmarks, descriptor=descriptor)
        for (box, score, landmarks), descriptor in zip(faces, descriptors, strict=True)
    ]


def _confidence(score: float) -> float:
    # The HOG detector's scores run from its threshold 0 to about 3; Rekognition's
    # confidences are percentages, and a face the detector accepts should read high.
    return round(100 / (1 + math.exp(-3 * (score + 0.5))), 2)


def _as_detected(face: LocalFace, width: int, height: int) -> dict:
    eye_right, eye_left = np.mean(face.landmarks[0:2], axis=0), np.mean(face.landmarks[2:4], axis=0)
    # Rekognition names eyes as the viewer sees them: eyeLeft is the one on the image's left.
    points = {"eyeLeft": eye_left, "eyeRight": eye_right, "nose": face.landmarks[4]}
    return {
        "box": FaceBox(
            left=face.box.left / width,
            top=face.box.top / height,
            width=face.box.width / width,
            height=face.box.height / height,
        ),
        "confidence": _confidence(face.score),
        "landmarks": [Landmark(type=name, x=float(x) / width, y=float(y) / height) for name, (x, y) in points.items()],
    }


class LocalEngine(FaceEngine):
    """dlib on this machine; the application searches the descriptors it stores."""

    name = "local"
    searches_in_database = True
    computes_in_process = True

    def __init__(
        self,
        *,
        match_distance: float = MATCH_DISTANCE,
        min_face_px: int = DEFAULT_MIN_FACE_PX,
        copy_distance: float = COPY_DISTANCE,
    ):
        self.match_distance = match_distance
        self.min_face_px = min_face_px
        self.copy_distance = copy_distance

    def is_copy(self, nearest: float) -> bool:
        """`nearest` is the descriptor distance to the nearest gallery face."""
        return nearest <= self.copy_distance

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        image = upright(image)
        return [DetectedFace(**_as_detected(face, *image.size)) for face in find_faces(image)]

    def index(self, image: Image.Image, *, collection: str, photo_id: int) -> list[IndexedFace]:
        image = upright(image)
        return [
            IndexedFace(**_as_detected(face, *image.size), descriptor=face.descriptor.tobytes())
            for face in find_faces(image, min_face_px=self.min_face_px)
        ]

    def describe_selfie(self, image: Image.Image) -> SelfieFace | None:
        image = upright(image)
        face, detections, ambiguous = describe_selfie_face(image)
        if face is None:
            return None
        return SelfieFace(
            **_as_detected(face, *image.size),
            faces_in_image=len(detections),
            ambiguous=ambiguous,
            descriptor=face.descriptor.tobytes(),
        )

    def compare(self, source: Image.Image, target: Image.Image) -> float | None:
        selfie, _ = describe_largest_face(upright(source))
        if selfie is None:
            return None
        faces = find_faces(target)
        if not faces:
            return None
        closest = min(distance(selfie.descriptor, face.descriptor) for face in faces)
        return similarity(closest, match_distance=self.match_distance)
