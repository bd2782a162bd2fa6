"""The original service's compare and detect (api/routes/rekognition.py).

The images are read like selfies (search.read_image: within SELFIE_MAX_PIXELS, in a
decode turn) and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from faces import engines
from faces.engines.base import DetectedFace
from faces.services.search import engine_turn

# The original service's threshold for compare.
COMPARE_MATCH_SIMILARITY = 80.0


@dataclass(frozen=True)
class Comparison:
    match: bool
    similarity: float


def faces_compare(*, source: Image.Image, target: Image.Image) -> Comparison:
    """Whether the largest face of source appears in target, with the similarity
    (0-100) of the closest face; a match from COMPARE_MATCH_SIMILARITY up. Without a
    face in either image: no match, similarity 0."""
    engine = engines.get_engine()
    with engine_turn(engine):
        similarity_ = engine.compare(source, target)
    if similarity_ is None:
        return Comparison(match=False, similarity=0.0)
    return Comparison(match=similarity_ >= COMPARE_MATCH_SIMILARITY, similarity=round(similarity_, 2))


def faces_detect(*, image: Image.Image) -> list[DetectedFace]:
    """Every face of the image with its box (ratios), confidence and landmarks."""
    engine = engines.get_engine()
    with engine_turn(engine):
        return engine.detect(image)
