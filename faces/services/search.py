"""Searching a gallery's faces with a selfie.

A selfie is only ever held in memory: it is read, searched with and dropped. Nothing
here stores or logs it, or anything computed from it. Selfies are read within
SELFIE_MAX_PIXELS and a decode turn of the web process (galleries/decoding.py); an engine
that computes in the process takes a turn too. Each refusal is a FaceSearchError whose
str() is the message for the guest.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image

from faces import copies, engines, search
from faces.engines.base import FaceEngine, FaceEngineError, ImageNotUsable
from faces.models import Face
from faces.selectors import SearchCoverage
from faces.services.indexing import collection_name
from galleries import decoding
from galleries.imaging import ImageRejected, ImageTooLarge, open_upright_rgb
from galleries.models import Gallery, Photo, guest_visible_q
from ops import ratelimits
from ops.metrics import FACE_SEARCH_DURATION, FACE_SEARCHES

# Selfies and images given to compare/detect are read at this size at most: a face
# that fills a phone's frame is still hundreds of pixels tall, and both engines find
# faces down to 40 px (Rekognition is sent at most 4096 px). A JPEG is decoded at the
# smallest DCT scale that still gives it (a 48 MP selfie at 1/2, a 200 MP one at 1/4);
# other formats are decoded whole and scaled, within SELFIE_MAX_PIXELS and the web
# process's decode budget (galleries/decoding.py).
SELFIE_LONG_EDGE = 2048


# The messages are the guest's, translated when they are read (str()); the API reads them in English.
UNAVAILABLE = _lazy("Face search is unavailable right now. Please try again in a minute.")
NO_FACE = _lazy(
    "We could not find a face in that photo. Take a selfie facing the camera, in good light, "
    "with your face filling much of the frame."
)
SEVERAL_FACES = _lazy(
    "Your photo shows {count} faces of about the same size, so we cannot tell which one "
    "is you. Take a selfie with only your face in it, or crop the photo to your face."
)


class FaceSearchError(Exception):
    """A selfie that cannot be searched; str(exc) is the message for the guest."""

    @property
    def is_outage(self) -> bool:
        """The engine failed (Rekognition down or throttled): not the selfie's fault."""
        cause = self.__cause__
        return isinstance(cause, FaceEngineError) and not isinstance(cause, ImageNotUsable)


class NoFaceFound(FaceSearchError):
    pass


class SeveralFacesFound(FaceSearchError):
    pass


class FaceSearchDisabled(FaceSearchError):
    pass


class SelfieUnreadable(FaceSearchError):
    pass


# The outcome label of eventgallery_face_searches_total; other FaceSearchErrors are
# the engine being unavailable.
_SEARCH_OUTCOMES = {
    NoFaceFound: "no_face",
    SeveralFacesFound: "several_faces",
    FaceSearchDisabled: "disabled",
    SelfieUnreadable: "unreadable",
}


@dataclass(frozen=True)
class PhotoMatch:
    photo: Photo
    face: Face
    similarity: float
    is_sure: bool  # "you" rather than "maybe you"


@dataclass(frozen=True)
class SearchResult:
    matches: list[PhotoMatch]  # strongest first; sure ones before the maybes
    faces_in_selfie: int
    describe_ms: float
    search_ms: float
    # The selfie is a copy of a gallery photo (faces/copies.py): its results may be seen,
    # never used to hide photos.
    from_copy: bool = False
    # How many of the gallery's photos were searched, of all guests see (None: not counted).
    coverage: SearchCoverage | None = None

    @property
    def sure(self) -> list[PhotoMatch]:
        return [m for m in self.matches if m.is_sure]

    @property
    def maybe(self) -> list[PhotoMatch]:
        return [m for m in self.matches if not m.is_sure]


def read_selfie(fileobj: IO[bytes]) -> Image.Image:
    """The selfie's pixels, upright, in memory. Raises FaceSearchError for a file that
    is not a usable image (SelfieUnreadable for one of more than SELFIE_MAX_PIXELS),
    and galleries.decoding.DecodeBusy when the process has no decode turn free: the
    transports answer that with a 503 and Retry-After."""
    try:
        image = read_image(fileobj)
    except ImageTooLarge as exc:
        raise SelfieUnreadable(
            format_lazy("{} {}", exc, _lazy("Take a selfie with your phone's camera, or choose a smaller photo."))
        ) from exc
    except ImageRejected as exc:
        raise FaceSearchError(format_lazy("{} {}", _lazy("That file is not a photo we can read."), exc)) from exc
    if min(image.size) < 32:
        raise NoFaceFound(
            _lazy("That photo is too small to show a face. Take a selfie with your face filling the frame.")
        )
    return image


def face_search_allowed(*, device: str, address: str) -> ratelimits.Decision:
    """Counts a search by this device from this address, and says whether it is within
    FACE_SEARCHES_PER_WINDOW for the device and FACE_SEARCHES_PER_ADDRESS for the address
    (a venue's guests share one address; a device that clears its cookies is still held by
    it). Every search that is let through counts, whatever its outcome, on the Find me
    page and through the API alike."""
    window = settings.FACE_SEARCH_WINDOW_S
    return ratelimits.limits_hit(
        ratelimits.Limit("find-me-device", device, settings.FACE_SEARCHES_PER_WINDOW, window),
        ratelimits.Limit("find-me-address", address, settings.FACE_SEARCHES_PER_ADDRESS, window),
    )


def face_search(*, gallery: Gallery, selfie: Image.Image) -> SearchResult:
    """The photos of the gallery that show the selfie's person, strongest first."""
    outcome = "error"
    started = time.perf_counter()
    try:
        result = _face_search(gallery=gallery, selfie=selfie)
        outcome = "matched" if result.matches else "no_match"
        return result
    except FaceSearchError as exc:
        outcome = _SEARCH_OUTCOMES.get(type(exc), "unavailable")
        raise
    finally:
        FACE_SEARCHES.labels(outcome=outcome).inc()
        FACE_SEARCH_DURATION.observe(time.perf_counter() - started)


def _face_search(*, gallery: Gallery, selfie: Image.Image) -> SearchResult:
    if not gallery.face_search_enabled:
        raise FaceSearchDisabled(_lazy("Find me is not switched on for this gallery."))
    engine = engines.get_engine()
    started = timezone.now()
    try:
        with engine_turn(engine):
            face = engine.describe_selfie(selfie)
    except ImageNotUsable as exc:
        raise SelfieUnreadable(_lazy("That photo could not be read as a selfie. Try another one.")) from exc
    except FaceEngineError as exc:
        raise FaceSearchError(UNAVAILABLE) from exc
    described = timezone.now()
    if face is None:
        raise NoFaceFound(NO_FACE)
    if face.ambiguous:
        raise SeveralFacesFound(format_lazy(SEVERAL_FACES, count=face.faces_in_image))
    if engine.searches_in_database:
        scored, nearest = _search_descriptors(gallery, np.frombuffer(face.descriptor, np.float32))
    else:
        try:
            scored, nearest = _search_collection(engine, gallery, face)
        except FaceEngineError as exc:
            raise FaceSearchError(UNAVAILABLE) from exc
    from_copy = (nearest is not None and engine.is_copy(nearest)) or copies.is_copy_of_gallery_picture(
        gallery_id=gallery.pk, image=selfie, max_bits=settings.FACE_COPY_HASH_BITS
    )
    matches = _photo_matches(scored)
    finished = timezone.now()
    return SearchResult(
        matches=matches,
        faces_in_selfie=face.faces_in_image,
        describe_ms=(described - started).total_seconds() * 1000,
        search_ms=(finished - described).total_seconds() * 1000,
        from_copy=from_copy,
    )


def _search_descriptors(gallery: Gallery, descriptor: np.ndarray) -> tuple[dict[int, tuple[float, bool]], float | None]:
    """face id -> (similarity, sure) for the faces close enough to the selfie: "you"
    and "maybe you" as faces.search.match_tiers decides them, with the FACE_* settings;
    and the distance of the nearest face of the gallery (None without faces)."""
    known = search.gallery_descriptors(gallery.pk)
    if not len(known.face_ids):
        return {}, None
    tiers = search.match_tiers(
        known,
        descriptor,
        match_distance=settings.FACE_MATCH_DISTANCE,
        maybe_distance=settings.FACE_MAYBE_DISTANCE,
        confident_distance=settings.FACE_CONFIDENT_DISTANCE,
        person_max_distance=settings.FACE_PERSON_MAX_DISTANCE,
        neighbours=settings.FACE_MATCH_NEIGHBOURS,
        margin=settings.FACE_MATCH_MARGIN,
    )
    scored = {
        int(known.face_ids[i]): (
            search.similarity(float(tiers.distances[i]), match_distance=settings.FACE_MATCH_DISTANCE),
            bool(tiers.sure[i]),
        )
        for i in np.flatnonzero(tiers.maybe)
    }
    return scored, float(tiers.distances.min())


def _search_collection(engine, gallery: Gallery, face) -> tuple[dict[int, tuple[float, bool]], float | None]:
    """As _search_descriptors, with the highest similarity of a face of the collection."""
    found = engine.search_collection(face, collection=collection_name(gallery.pk), limit=4096)
    by_external = {m.external_id: m.similarity for m in found if m.similarity >= settings.FACE_MAYBE_SIMILARITY}
    ids = Face.objects.filter(gallery=gallery, external_id__in=list(by_external)).values_list("pk", "external_id")
    scored = {
        pk: (by_external[external_id], by_external[external_id] >= settings.FACE_MATCH_SIMILARITY)
        for pk, external_id in ids
    }
    return scored, max((m.similarity for m in found), default=None)


def _photo_matches(scored: dict[int, tuple[float, bool]]) -> list[PhotoMatch]:
    if not scored:
        return []
    faces = Face.objects.filter(guest_visible_q("photo__"), pk__in=list(scored)).select_related("photo")
    best: dict[int, PhotoMatch] = {}
    for face in faces:
        similarity_, sure = scored[face.pk]
        current = best.get(face.photo_id)
        if current is None or (sure, similarity_) > (current.is_sure, current.similarity):
            best[face.photo_id] = PhotoMatch(photo=face.photo, face=face, similarity=similarity_, is_sure=sure)
    return sorted(best.values(), key=lambda m: (not m.is_sure, -m.similarity, m.photo.sort_at, m.photo.pk))


def read_image(fileobj: IO[bytes]) -> Image.Image:
    """An image given to compare or detect (or a selfie), upright, in memory, read from
    its header first: ImageRejected (ImageTooLarge above SELFIE_MAX_PIXELS) before any
    decode, and galleries.decoding.DecodeBusy when no decode turn is free in time."""
    return open_upright_rgb(fileobj, long_edge=SELFIE_LONG_EDGE, max_pixels=settings.SELFIE_MAX_PIXELS, bounded=True)


def engine_turn(engine: FaceEngine) -> AbstractContextManager:
    """A turn of the web process's bounded image work (galleries/decoding.py) for an
    engine that computes in the process: a selfie without a face HOG can find goes to
    dlib's CNN, which holds the GIL for up to a second, so that two at once in one
    process would keep its other thread (a health check, a page) waiting for both.
    DecodeBusy when no turn is free in time. Rekognition's calls wait on the network
    and take none."""
    return decoding.decode_turn(cost_bytes=0) if engine.computes_in_process else nullcontext()
