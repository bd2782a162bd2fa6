"""What every face engine gives the rest of the application: plain dataclasses, never
an SDK's dicts or a library's objects.

Coordinates are ratios of the upright image's width and height (0-1, like
Rekognition's BoundingBox), so that a face's box means the same on the original, the
display derivative and a thumbnail. Confidences and similarities are percentages
(0-100), Rekognition's scale, whatever the engine measures internally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image


class FaceEngineError(Exception):
    """The engine could not do its work (a service down, throttled past the retries,
    a malformed answer). The message is safe to show to an organizer."""


class ImageNotUsable(FaceEngineError):
    """The engine refused this image (too small, too large, not an image it reads)."""


@dataclass(frozen=True)
class FaceBox:
    left: float
    top: float
    width: float
    height: float

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels of an image of that size."""
        return (
            round(self.left * width),
            round(self.top * height),
            round((self.left + self.width) * width),
            round((self.top + self.height) * height),
        )


@dataclass(frozen=True)
class Landmark:
    type: str  # Rekognition's names: eyeLeft, eyeRight, nose, mouthLeft, mouthRight, ...
    x: float
    y: float


@dataclass(frozen=True)
class DetectedFace:
    box: FaceBox
    confidence: float
    landmarks: list[Landmark] = field(default_factory=list)

    @property
    def area(self) -> float:
        return self.box.width * self.box.height


@dataclass(frozen=True)
class IndexedFace(DetectedFace):
    """A face of a gallery photo as the engine keeps it: the local engine gives its
    128-value descriptor (float32 bytes), Rekognition the FaceId it stored it under."""

    descriptor: bytes | None = None
    external_id: str = ""


@dataclass(frozen=True)
class SelfieFace(DetectedFace):
    """The face a selfie is searched with (the largest, when there are several).

    `image` is what a collection-searching engine sends (the selfie cropped around
    that face); `descriptor` is what a database-searching engine compares. Neither is
    ever stored.
    """

    faces_in_image: int = 1
    # Several faces of about the same size and none of them alone in the middle (see
    # selfie_face_index): which one is the guest's cannot be told, and this face (the
    # largest) is not to be searched.
    ambiguous: bool = False
    descriptor: bytes | None = None
    image: Image.Image | None = None


# A face of a selfie of at least this share of the largest face's area may as well be
# the guest's; a smaller one is someone in the background.
SELFIE_RIVAL_AREA_RATIO = 0.5


def selfie_face_index(boxes: Sequence[FaceBox]) -> int | None:
    """Which of a selfie's faces is the guest's: the largest, when every other is under
    half its area; otherwise, of the faces of about its size, the only one that holds
    the middle of the picture, since a selfie is framed on the one who takes it and a
    friend leaning in is beside them. None when there is no face, or when none or
    several of the faces of about the same size hold the middle: a group selfie."""
    if not boxes:
        return None
    largest = max(box.width * box.height for box in boxes)
    rivals = [i for i, box in enumerate(boxes) if box.width * box.height >= SELFIE_RIVAL_AREA_RATIO * largest]
    if len(rivals) == 1:
        return rivals[0]
    in_the_middle = [i for i in rivals if _holds_the_middle(boxes[i])]
    return in_the_middle[0] if len(in_the_middle) == 1 else None


def _holds_the_middle(box: FaceBox) -> bool:
    return box.left <= 0.5 <= box.left + box.width and box.top <= 0.5 <= box.top + box.height


@dataclass(frozen=True)
class CollectionMatch:
    external_id: str
    similarity: float


class FaceEngine:
    """The interface; faces/engines/local/ and rekognition.py implement it.

    An engine that `searches_in_database` gives descriptors, and the application
    searches them itself (faces/search.py); the other keeps the faces in a
    collection per gallery and searches there.
    """

    name: str
    searches_in_database: bool
    # Whether its work runs on this process's CPU, holding the GIL (dlib's CNN keeps it
    # for up to a second): the web process then gives it one of its bounded turns.
    computes_in_process: bool = False

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        raise NotImplementedError

    def index(self, image: Image.Image, *, collection: str, photo_id: int) -> list[IndexedFace]:
        raise NotImplementedError

    def describe_selfie(self, image: Image.Image) -> SelfieFace | None:
        """The guest's face of the selfie (selfie_face_index), or None when there is none."""
        raise NotImplementedError

    def search_collection(self, selfie: SelfieFace, *, collection: str, limit: int) -> list[CollectionMatch]:
        raise NotImplementedError

    def is_copy(self, nearest: float) -> bool:
        """Whether a selfie's face this near to a gallery face (the engine's own measure of
        the nearest: a descriptor distance, or a similarity) is that photo copied, cropped
        or re-encoded rather than another photo of the person (faces/copies.py)."""
        raise NotImplementedError

    def compare(self, source: Image.Image, target: Image.Image) -> float | None:
        """The highest similarity of the source's largest face to any face of the
        target, or None when either has no face."""
        raise NotImplementedError

    def delete_faces(self, *, collection: str, external_ids: list[str]) -> None:
        """Forget these faces (a photo was deleted). Nothing to do for a database engine."""

    def delete_collection(self, *, collection: str) -> None:
        """Forget a gallery's faces (the gallery was deleted)."""
