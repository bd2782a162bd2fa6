"""Find me: indexing the faces of gallery photos, searching them with a selfie, and the
original service's compare and detect.

A selfie is only ever held in memory: it is read from the request, searched with and
dropped. Nothing here stores or logs it, or anything computed from it, but for one
boolean in the signed results: whether it was a copy of a gallery photo (faces/copies.py),
in which case those results cannot hide photos.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import IO

import numpy as np
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image

from eventgallery import transient
from faces import copies, search
from faces.engines import get_engine
from faces.engines.base import DetectedFace, FaceEngine, FaceEngineError, ImageNotUsable, IndexedFace
from faces.forms import SelfieForm
from faces.models import Face, FaceCollection, HideRequest, HideRequestPhoto, PhotoFaces
from faces.uploads import SelfieUploadHandler
from galleries import decoding, focal
from galleries.imaging import ImageRejected, ImageTooLarge, open_upright_rgb
from galleries.models import Gallery, Photo, guest_visible_q
from ops import ratelimits
from ops.metrics import FACE_SEARCH_DURATION, FACE_SEARCHES

logger = logging.getLogger(__name__)

# Selfies and images given to compare/detect are read at this size at most: a face
# that fills a phone's frame is still hundreds of pixels tall, and both engines find
# faces down to 40 px (Rekognition is sent at most 4096 px). A JPEG is decoded at the
# smallest DCT scale that still gives it (a 48 MP selfie at 1/2, a 200 MP one at 1/4);
# other formats are decoded whole and scaled, within SELFIE_MAX_PIXELS and the web
# process's decode budget (galleries/decoding.py).
SELFIE_LONG_EDGE = 2048
# The original service's threshold for compare.
COMPARE_MATCH_SIMILARITY = 80.0


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


# --- Indexing -----------------------------------------------------------------------


def collection_name(gallery_id: int) -> str:
    return f"{settings.REKOGNITION_COLLECTION_PREFIX}gallery-{gallery_id}"


def photo_faces_queue(*, photo: Photo) -> bool:
    """Queue the indexing of a processed photo that guests see, if its gallery has face
    search on (a guest's photo waiting for approval is indexed once approved)."""
    if not photo.is_guest_visible or not Gallery.objects.filter(pk=photo.gallery_id, face_search_enabled=True).exists():
        return False
    PhotoFaces.objects.update_or_create(
        photo=photo,
        defaults={
            "gallery_id": photo.gallery_id,
            "status": PhotoFaces.Status.PENDING,
            "error": "",
            "attempts": 0,
            "queued_at": timezone.now(),
        },
    )
    transaction.on_commit(partial(_enqueue_indexing, photo_id=photo.pk))
    return True


def gallery_faces_queue(*, gallery: Gallery, reindex: bool = False) -> int:
    """Queue the gallery's ready photos that are not indexed yet (all of them with
    reindex). Returns how many were queued."""
    photos = gallery.photos.guest_visible()
    if not reindex:
        photos = photos.exclude(face_index__status=PhotoFaces.Status.INDEXED)
    count = 0
    for photo in photos.only("pk", "gallery_id", "status", "review"):
        count += photo_faces_queue(photo=photo)
    return count


@transaction.atomic
def gallery_face_search_switched(*, gallery: Gallery) -> int:
    """Call after an organizer switched Find me on or off for the gallery. On: queue
    the photos not indexed yet, and return how many. Off: the gallery's face data goes
    (rows now; the Rekognition collection once this commits)."""
    if gallery.face_search_enabled:
        return gallery_faces_queue(gallery=gallery)
    gallery_faces_forget(gallery=gallery)
    Face.objects.filter(gallery=gallery).delete()
    PhotoFaces.objects.filter(gallery=gallery).delete()
    FaceCollection.objects.filter(gallery=gallery).delete()
    return 0


def gallery_face_counts(*, gallery: Gallery) -> dict:
    """Find me's progress for the organizer: photos indexed, waiting and failed, and faces."""
    counts = PhotoFaces.objects.filter(gallery=gallery).counts()
    counts["faces"] = Face.objects.filter(gallery=gallery).count()
    counts["people"] = Face.objects.filter(gallery=gallery, person__isnull=False).values("person").distinct().count()
    return counts


def _enqueue_indexing(*, photo_id: int, delay_s: float = 0) -> None:
    from faces.tasks import index_photo_faces

    task = index_photo_faces
    if delay_s and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    task.enqueue(photo_id=photo_id)


def photo_faces_index(*, photo_id: int) -> PhotoFaces | None:
    """Find and store the faces of one photo (the worker's job).

    A photo whose indexing fails is marked failed with the reason; it can be queued
    again. When the storage or the database does not answer, the photo is queued again
    after a delay, until indexing has run TASK_MAX_ATTEMPTS times. Returns None when
    there is nothing to index (the photo was deleted, is not processed, or its gallery
    has face search off).
    """
    try:
        return _photo_faces_index(photo_id=photo_id)
    except Exception as exc:
        if not transient.is_database_error(exc):
            raise
        logger.warning("The database failed while indexing the faces of photo %s: %s", photo_id, exc)
        problem = transient.what_failed(exc)
        return transient.with_retries(
            lambda: _indexing_retry_later(photo_id, problem),
            what=f"Queueing the faces of photo {photo_id} again",
        )


def _photo_faces_index(*, photo_id: int) -> PhotoFaces | None:
    photo = Photo.objects.select_related("gallery").filter(pk=photo_id).first()
    if photo is None or not photo.is_guest_visible or not photo.gallery.face_search_enabled:
        PhotoFaces.objects.filter(photo_id=photo_id).exclude(status=PhotoFaces.Status.INDEXED).delete()
        return None
    engine = get_engine()
    photo_faces, _ = PhotoFaces.objects.get_or_create(photo=photo, defaults={"gallery_id": photo.gallery_id})
    if photo_faces.status == PhotoFaces.Status.INDEXING and photo_faces.attempts >= settings.TASK_MAX_ATTEMPTS:
        return _indexing_failed(photo, _worker_lost_reason(photo_faces.attempts))
    PhotoFaces.objects.filter(photo=photo).update(
        status=PhotoFaces.Status.INDEXING, engine=engine.name, attempts=photo_faces.attempts + 1
    )
    try:
        with transient.stored_file_copy(photo.original, what=f"Reading the original of photo {photo.pk}") as original:
            image = open_upright_rgb(original)
        found = engine.index(image, collection=collection_name(photo.gallery_id), photo_id=photo.pk)
        picture_hash = copies.picture_hash(image)
    except (ImageRejected, FaceEngineError) as exc:
        return _indexing_failed(photo, str(exc))
    except FileNotFoundError:
        return _indexing_failed(photo, "The original is missing from storage.")
    except Exception as exc:
        if transient.is_transient(exc):
            logger.warning("Could not read the original of photo %s: %s", photo.pk, exc)
            return _indexing_retry_later(photo.pk, "The original could not be read: the storage did not answer")
        logger.exception("Could not index the faces of photo %s", photo.pk)
        return _indexing_failed(photo, "The photo could not be read or indexed; retry later.")

    replaced_external_ids = _store_faces(photo, engine, found, picture_hash=picture_hash)
    if replaced_external_ids:
        _forget_external_faces_on_commit(photo.gallery_id, replaced_external_ids)
    return PhotoFaces.objects.filter(photo=photo).first()


def _indexing_failed(photo: Photo, reason: str) -> PhotoFaces:
    PhotoFaces.objects.filter(photo=photo).update(status=PhotoFaces.Status.FAILED, error=reason, face_count=0)
    return PhotoFaces.objects.get(photo=photo)


def _indexing_retry_later(photo_id: int, problem: str) -> PhotoFaces | None:
    """Queue the indexing again after retry_delay(), or fail it once it has run
    TASK_MAX_ATTEMPTS times."""
    photo_faces = PhotoFaces.objects.filter(photo_id=photo_id, status=PhotoFaces.Status.INDEXING).first()
    if photo_faces is None:
        return None
    attempt = photo_faces.attempts
    if attempt >= settings.TASK_MAX_ATTEMPTS:
        return _indexing_failed(photo_faces.photo, f"{problem} ({attempt} attempts); index it again later.")
    delay = transient.retry_delay(attempt)
    with transaction.atomic():
        updated = PhotoFaces.objects.filter(photo_id=photo_id, attempts=attempt).update(
            status=PhotoFaces.Status.PENDING,
            error=f"{problem}; trying again in {delay:.0f} s (attempt {attempt + 1} of {settings.TASK_MAX_ATTEMPTS}).",
            queued_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(partial(_enqueue_indexing, photo_id=photo_id, delay_s=delay))
    return PhotoFaces.objects.filter(photo_id=photo_id).first()


def _worker_lost_reason(attempts: int) -> str:
    return (
        f"Indexing stopped {attempts} times without finishing (the worker was lost: out of memory, "
        "or restarted); index it again later."
    )


@transaction.atomic
def _store_faces(
    photo: Photo, engine: FaceEngine, found: list[IndexedFace], *, picture_hash: bytes | None = None
) -> list[str]:
    """Replace the photo's faces with those found; returns the external ids of the
    faces replaced, for the engine to forget."""
    engine_name = engine.name
    collection, _ = FaceCollection.objects.get_or_create(
        gallery_id=photo.gallery_id,
        defaults={
            "engine": engine_name,
            "external_id": "" if engine.searches_in_database else collection_name(photo.gallery_id),
        },
    )
    # One writer per gallery at a time: people are numbered from the faces already
    # stored, and the search caches rely on a gallery's face ids growing in commit order.
    collection = FaceCollection.objects.select_for_update().get(pk=collection.pk)
    if not Photo.objects.filter(pk=photo.pk).exists():
        return [face.external_id for face in found if face.external_id]  # deleted meanwhile
    old_faces = list(photo.faces.values_list("pk", "external_id"))
    if old_faces:
        Face.objects.filter(pk__in=[pk for pk, _ in old_faces]).delete()
        collection.revision += 1
        collection.save(update_fields=["revision"])
    persons = _assign_persons(collection, photo, found)
    Face.objects.bulk_create(
        Face(
            photo=photo,
            gallery_id=photo.gallery_id,
            engine=engine_name,
            box_left=face.box.left,
            box_top=face.box.top,
            box_width=face.box.width,
            box_height=face.box.height,
            confidence=face.confidence,
            landmarks=[{"type": p.type, "x": round(p.x, 5), "y": round(p.y, 5)} for p in face.landmarks],
            descriptor=face.descriptor,
            external_id=face.external_id,
            person=person,
        )
        for face, person in zip(found, persons, strict=True)
    )
    # Where the covers cut this photo (galleries/focal.py): around the heads found, else the centre.
    focal_point = focal.focal_point_from_faces((f.box.left, f.box.top, f.box.width, f.box.height) for f in found)
    Photo.objects.filter(pk=photo.pk).update(
        focal_x=focal_point.x if focal_point else None, focal_y=focal_point.y if focal_point else None
    )
    PhotoFaces.objects.filter(photo=photo).update(
        status=PhotoFaces.Status.INDEXED,
        engine=engine_name,
        face_count=len(found),
        error="",
        indexed_at=timezone.now(),
        picture_hash=picture_hash,
    )
    # The gallery page's alt texts count the people in each photo: a page cached before
    # the faces were indexed is made again. (Imported here: galleries.services imports
    # this module.)
    from galleries.services import galleries_touch

    galleries_touch(gallery_ids=[photo.gallery_id])
    return [external_id for _, external_id in old_faces if external_id]


def _assign_persons(collection: FaceCollection, photo: Photo, found: list[IndexedFace]) -> list[int | None]:
    """Group each new face with the person of the nearest face already stored, when it
    is within FACE_PERSON_DISTANCE, or start a new person.

    Two faces of one photo are never the same person: the nearer of two claims wins
    and the other starts a person of its own. Faces without descriptors (Rekognition)
    are not grouped.
    """
    if not found or found[0].descriptor is None:
        return [None] * len(found)
    known = search.gallery_descriptors(collection.gallery_id)
    others = known.photo_ids != photo.pk
    claims = []
    for index, face in enumerate(found):
        descriptor = np.frombuffer(face.descriptor, np.float32)
        distances = np.where(others, known.distances(descriptor), np.inf)
        nearest = int(np.argmin(distances)) if len(distances) else -1
        if nearest >= 0 and distances[nearest] <= settings.FACE_PERSON_DISTANCE and known.persons[nearest] >= 0:
            claims.append((float(distances[nearest]), index, int(known.persons[nearest])))
    persons: list[int | None] = [None] * len(found)
    taken = set()
    for _, index, person in sorted(claims):
        if person not in taken:
            persons[index] = person
            taken.add(person)
    next_person = known.next_person
    for index, person in enumerate(persons):
        if person is None:
            persons[index] = next_person
            next_person += 1
    return persons


# --- Hidden and blurred photos -----------------------------------------------------------


@dataclass(frozen=True)
class PhotoPrivacy:
    """What the hide requests applied to a photo ask of it now."""

    hidden: bool
    blur_boxes: list[tuple[float, float, float, float]]  # ratios of the upright photo


def photo_privacy(*, photo_id: int) -> PhotoPrivacy:
    """Hidden if an applied request hides it, or asks to blur a face the face index no
    longer has (deleted with the face data: then hiding is the only way to keep the
    promise); else the boxes of the faces that applied requests blur."""
    entries = HideRequestPhoto.objects.filter(
        photo_id=photo_id, hide_request__status=HideRequest.Status.APPLIED
    ).select_related("hide_request", "face")
    hidden, boxes = False, []
    for entry in entries:
        if entry.hide_request.action == Gallery.HideAction.HIDE or entry.face is None:
            hidden = True
        else:
            face = entry.face
            boxes.append((face.box_left, face.box_top, face.box_width, face.box_height))
    return PhotoPrivacy(hidden=hidden, blur_boxes=sorted(set(boxes)))


# --- Forgetting -----------------------------------------------------------------------


def photos_faces_forget(*, photo_ids: Iterable[int]) -> None:
    """Call inside the transaction that deletes these photos: once it commits, the
    engine forgets their faces (Rekognition), and every process's search cache
    drops them."""
    rows = list(Face.objects.filter(photo_id__in=list(photo_ids)).values_list("gallery_id", "external_id"))
    by_gallery: dict[int, list[str]] = {}
    for gallery_id, external_id in rows:
        by_gallery.setdefault(gallery_id, [])
        if external_id:
            by_gallery[gallery_id].append(external_id)
    for gallery_id, external_ids in by_gallery.items():
        FaceCollection.objects.filter(gallery_id=gallery_id).update(revision=F("revision") + 1)
        if external_ids:
            _forget_external_faces_on_commit(gallery_id, external_ids)


def gallery_faces_forget(*, gallery: Gallery) -> None:
    """Call inside the transaction that deletes the gallery: once it commits, the
    engine's collection is deleted with every face in it."""
    collection = FaceCollection.objects.filter(gallery=gallery).first()
    search.forget(gallery.pk)
    if collection is not None and collection.external_id:
        transaction.on_commit(partial(_enqueue_collection_deletion, collection=collection.external_id))


def _forget_external_faces_on_commit(gallery_id: int, external_ids: list[str]) -> None:
    if get_engine().searches_in_database:
        return
    transaction.on_commit(
        partial(_enqueue_faces_deletion, collection=collection_name(gallery_id), external_ids=external_ids)
    )


def _enqueue_faces_deletion(*, collection: str, external_ids: list[str]) -> None:
    from faces.tasks import delete_external_faces

    delete_external_faces.enqueue(collection=collection, external_ids=external_ids)


def _enqueue_collection_deletion(*, collection: str) -> None:
    from faces.tasks import delete_external_collection

    delete_external_collection.enqueue(collection=collection)


def external_faces_delete(*, collection: str, external_ids: list[str]) -> None:
    get_engine().delete_faces(collection=collection, external_ids=external_ids)


def external_collection_delete(*, collection: str) -> None:
    get_engine().delete_collection(collection=collection)


# --- Search ---------------------------------------------------------------------------


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
        raise SelfieUnreadable(f"{exc} Take a selfie with your phone's camera, or choose a smaller photo.") from exc
    except ImageRejected as exc:
        raise FaceSearchError(f"That file is not a photo we can read. {exc}") from exc
    if min(image.size) < 32:
        raise NoFaceFound("That photo is too small to show a face. Take a selfie with your face filling the frame.")
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
        raise FaceSearchDisabled("Find me is not switched on for this gallery.")
    engine = get_engine()
    started = timezone.now()
    try:
        with _engine_turn(engine):
            face = engine.describe_selfie(selfie)
    except ImageNotUsable as exc:
        raise SelfieUnreadable("That photo could not be read as a selfie. Try another one.") from exc
    except FaceEngineError as exc:
        raise FaceSearchError("Face search is unavailable right now. Please try again in a minute.") from exc
    described = timezone.now()
    if face is None:
        raise NoFaceFound(
            "We could not find a face in that photo. Take a selfie facing the camera, in good light, "
            "with your face filling much of the frame."
        )
    if face.ambiguous:
        raise SeveralFacesFound(
            f"Your photo shows {face.faces_in_image} faces of about the same size, so we cannot tell which one "
            "is you. Take a selfie with only your face in it, or crop the photo to your face."
        )
    if engine.searches_in_database:
        scored, nearest = _search_descriptors(gallery, np.frombuffer(face.descriptor, np.float32))
    else:
        try:
            scored, nearest = _search_collection(engine, gallery, face)
        except FaceEngineError as exc:
            raise FaceSearchError("Face search is unavailable right now. Please try again in a minute.") from exc
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


# --- Find me, as the page and the API ask it ---------------------------------------------
#
# One request of Find me, whatever its transport: the selfie upload held in memory, the
# gallery's switch, the rate limits, the size, the consent, the form, the search. Each
# refusal is an exception of its own; the page and the API only turn them into their
# answers. Then the results travel to the results page in a signed, expiring token, so
# that nothing new is stored on the server: the token holds which photos matched and
# where the face is, never anything of the selfie.

# What a client sends for consent through the API; the page's checkbox sends "on".
CONSENT_VALUES = frozenset({"true", "1", "yes", "on"})
FIND_ME_RESULTS_SALT = "faces.find-me-results"


class FindMeRefused(Exception):
    """A Find me request refused before the selfie was searched."""


class TooManySearches(FindMeRefused):
    def __init__(self, retry_after_s: int):
        super().__init__("You have searched several times in the last few minutes.")
        self.retry_after_s = retry_after_s


class SelfieTooLarge(FindMeRefused):
    def __init__(self, max_mb: int):
        super().__init__(f"That photo is larger than {max_mb} MB.")
        self.max_mb = max_mb


class ConsentRequired(FindMeRefused):
    """The guest has not agreed (this time, or earlier in their session)."""

    def __init__(self, form: SelfieForm):
        super().__init__("The guest has not agreed to how their selfie is used.")
        self.form = form  # bound, for the page to show with its errors


class SelfieFormInvalid(FindMeRefused):
    def __init__(self, form: SelfieForm):
        self.form = form
        self.field, messages = next(iter(form.errors.items()))
        self.message = " ".join(messages)
        super().__init__(self.message)


def selfie_upload_prepare(request) -> SelfieUploadHandler:
    """Makes the request's body be read by the selfie's handler alone (faces/uploads.py).
    Call it before anything reads request.POST or request.FILES (the CSRF check does)."""
    upload = SelfieUploadHandler(request, max_bytes=settings.SELFIE_MAX_MB * 1024 * 1024)
    request.upload_handlers = [upload]
    return upload


def find_me_selfie(
    *, gallery: Gallery, request, upload: SelfieUploadHandler, device: str, address: str, consent_given: bool
) -> UploadedFile:
    """The selfie of a Find me request, once every rule let it through, in this order:
    the gallery's switch (FaceSearchDisabled), the rate limits (TooManySearches, counted
    before the body is read), the size (SelfieTooLarge), the consent (ConsentRequired:
    given earlier in the session when `consent_given`, or stated in the request's
    `consent` field), the form (SelfieFormInvalid). Only the request's body is read."""
    if not gallery.face_search_enabled:
        raise FaceSearchDisabled("Find me is not switched on for this gallery.")
    limit = face_search_allowed(device=device, address=address)
    if not limit.allowed:
        raise TooManySearches(limit.retry_after_s)
    data, files = request.POST, request.FILES  # reads the body, unless the CSRF check already did
    if upload.too_large:
        raise SelfieTooLarge(settings.SELFIE_MAX_MB)
    form = SelfieForm(data, files, consent_given=consent_given)
    if not consent_given and str(data.get("consent", "")).strip().lower() not in CONSENT_VALUES:
        raise ConsentRequired(form)
    if not form.is_valid():
        raise SelfieFormInvalid(form)
    return form.cleaned_data["selfie"]


def find_me_search(*, gallery: Gallery, selfie: UploadedFile) -> SearchResult:
    """The photos of the gallery the selfie's person is in; FaceSearchError when the
    selfie cannot be searched or the engine is unavailable. Each search that ran leaves
    a consent receipt (faces.privacy.consent_receipt_create): when, where, under which
    privacy text, and nothing else."""
    from faces import privacy

    result = face_search(gallery=gallery, selfie=read_selfie(selfie))
    privacy.consent_receipt_create(gallery=gallery)
    return result


# --- Find me's results, in a signed token -------------------------------------------------


class FindMeResultsInvalid(Exception):
    """A results token that was not made here, was changed, or is for another gallery."""


class FindMeResultsExpired(FindMeResultsInvalid):
    pass


@dataclass(frozen=True)
class FoundPhoto:
    """A photo of the results as the results page draws it."""

    photo: Photo
    is_sure: bool
    similarity: float
    face_box: dict[str, float]  # percent of the photo: left, top, width, height
    face_id: int | None = None  # the face the search matched, as the signed results name it


@dataclass(frozen=True)
class FindMeResults:
    gallery_id: int
    faces_in_selfie: int
    found: list[FoundPhoto]  # strongest first; sure ones before the maybes
    from_copy: bool = False  # searched with a copy of a gallery photo: no hiding from these

    @property
    def sure(self) -> list[FoundPhoto]:
        return [f for f in self.found if f.is_sure]

    @property
    def maybe(self) -> list[FoundPhoto]:
        return [f for f in self.found if not f.is_sure]


def _permille(value: float) -> int:
    return round(1000 * min(max(value, 0.0), 1.0))


def find_me_results_token(*, gallery: Gallery, result: SearchResult) -> str:
    """The results as a URL-safe token: signed (with a salt of its own) and compressed.

    It holds the gallery, the number of faces in the selfie, whether the selfie was a
    copy of a gallery photo ("c": such results cannot hide photos), and for each photo its id,
    whether it is "you", the similarity (one decimal), the face's box (per mille) and
    the face's id in the face index (what a hide request blurs: signed here, so a guest
    can only ever name the faces their own search matched).
    The ids are sorted and sent as differences, which compress to a few bytes each; the
    page puts the photos back in order. Ids rather than keys: a key is 16 random bytes
    that do not compress, and 100 of them would pass the 4 KB a request line may take.
    The ids are never used to reach a photo: they only pick among the gallery's ready
    photos that the visitor may see when the page is asked for."""
    rows, previous = [], 0
    for match in sorted(result.matches, key=lambda m: m.photo.pk):
        face = match.face
        rows.append(
            [
                match.photo.pk - previous,
                int(match.is_sure),
                round(match.similarity * 10),
                _permille(face.box_left),
                _permille(face.box_top),
                _permille(face.box_width),
                _permille(face.box_height),
                face.pk or 0,
            ]
        )
        previous = match.photo.pk
    payload = {"g": gallery.pk, "f": result.faces_in_selfie, "p": rows}
    if result.from_copy:
        payload["c"] = 1
    return _ResultsSigner().sign_object(payload, compress=True)


class FindMeResultsPhotoUnknown(FindMeResultsInvalid):
    """A photo that the results do not hold."""


class _ResultsSigner(signing.TimestampSigner):
    """Django's timestamp signer, that can sign with the time the results were made:
    results narrowed by "that's not me" expire when the search's own did."""

    def __init__(self, *, made_at: int | None = None):
        super().__init__(salt=FIND_ME_RESULTS_SALT)
        self.made_at = made_at

    def timestamp(self) -> str:
        return super().timestamp() if self.made_at is None else signing.b62_encode(self.made_at)

    def made_at_of(self, token: str) -> int:
        """The time a token, already checked by unsign_object, was made at."""
        return signing.b62_decode(signing.Signer.unsign(self, token).rsplit(self.sep, 1)[1])


def _results_payload(*, gallery: Gallery, token: str) -> tuple[dict, dict[int, tuple[bool, float, tuple]]]:
    """The token's payload and its rows (photo id -> sure, similarity, box in per mille),
    or the errors of find_me_results_read."""
    try:
        payload = _ResultsSigner().unsign_object(token, max_age=settings.FIND_ME_RESULTS_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise FindMeResultsExpired("These results have expired.") from exc
    except signing.BadSignature as exc:
        raise FindMeResultsInvalid("These results were not made here.") from exc
    try:
        if payload["g"] != gallery.pk:
            raise FindMeResultsInvalid("These results are of another gallery.")
        rows, photo_id = {}, 0
        for row in payload["p"]:
            # Tokens made before faces were named in them have seven fields.
            delta, sure, similarity, left, top, width, height, *face = row
            photo_id += delta
            rows[photo_id] = (bool(sure), similarity / 10, (left, top, width, height), int(face[0]) if face else 0)
        int(payload["f"])
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us, yet not of this shape: a token of an older version of this code.
        raise FindMeResultsInvalid("These results cannot be read.") from exc
    return payload, rows


def find_me_results_read(*, gallery: Gallery, token: str) -> FindMeResults:
    """The results a token holds, for this gallery, with the photos that are still
    there and guests still see; raises FindMeResultsExpired after FIND_ME_RESULTS_MAX_AGE_S
    and FindMeResultsInvalid for a token that is forged, changed or of another gallery.
    Whether the visitor may see the gallery is the caller's to check, on every request."""
    payload, rows = _results_payload(gallery=gallery, token=token)
    photos = Photo.objects.guest_visible().filter(gallery=gallery, pk__in=list(rows)).for_tiles().in_display_order()
    found = []
    for photo in photos:
        sure, similarity, (left, top, width, height), face_id = rows[photo.pk]
        box = {
            "left": left / 10,
            "top": top / 10,
            "width": min(width, 1000 - left) / 10,
            "height": min(height, 1000 - top) / 10,
        }
        found.append(
            FoundPhoto(photo=photo, is_sure=sure, similarity=similarity, face_box=box, face_id=face_id or None)
        )
    # Stable: among equals, the gallery's own order (as the search ranks them).
    found.sort(key=lambda f: (not f.is_sure, -f.similarity))
    return FindMeResults(
        gallery_id=gallery.pk, faces_in_selfie=int(payload["f"]), found=found, from_copy=bool(payload.get("c"))
    )


def find_me_results_without(*, gallery: Gallery, token: str, photo_key: str) -> str:
    """The token of these results less one photo, which the guest said is not them.

    Nothing is stored: the new token is the old one's payload without that photo's row,
    signed again with the time the search was made, so narrowing results never makes
    them last longer. Raises as find_me_results_read for a bad token, and
    FindMeResultsPhotoUnknown for a photo that the results do not hold."""
    payload, rows = _results_payload(gallery=gallery, token=token)
    try:
        photo_id = Photo.objects.filter(gallery=gallery, key=photo_key).values_list("pk", flat=True).first()
    except ValidationError:  # not a key at all
        photo_id = None
    if photo_id not in rows:
        raise FindMeResultsPhotoUnknown("That photo is not among these results.")
    kept, previous = [], 0
    for kept_id in sorted(rows.keys() - {photo_id}):
        sure, similarity, box, face_id = rows[kept_id]
        kept.append([kept_id - previous, int(sure), round(similarity * 10), *box, face_id])
        previous = kept_id
    signer = _ResultsSigner()
    made_at = signer.made_at_of(token)
    return _ResultsSigner(made_at=made_at).sign_object({**payload, "p": kept}, compress=True)


def find_me_results_photos(*, gallery: Gallery, token: str, with_maybe: bool) -> list[Photo]:
    """The photos of a results token to download, in the gallery's order: those that are
    "you", and with `with_maybe` those that may be you too. As find_me_results_read:
    only the gallery's photos still ready, and the same errors for a bad token; whether
    the visitor may see and download them is the caller's to check."""
    results = find_me_results_read(gallery=gallery, token=token)
    ids = [found.photo.pk for found in results.found if found.is_sure or with_maybe]
    # download_name() reads the uploaded name, which the tiles' columns leave out.
    return list(
        Photo.objects.guest_visible()
        .filter(gallery=gallery, pk__in=ids)
        .in_display_order()
        .only("gallery", "key", "original", "thumbnail", "middle", "display", "original_filename", "faces_blurred")
    )


# --- The original service's compare and detect ------------------------------------------


@dataclass(frozen=True)
class Comparison:
    match: bool
    similarity: float


def read_image(fileobj: IO[bytes]) -> Image.Image:
    """An image given to compare or detect (or a selfie), upright, in memory, read from
    its header first: ImageRejected (ImageTooLarge above SELFIE_MAX_PIXELS) before any
    decode, and galleries.decoding.DecodeBusy when no decode turn is free in time."""
    return open_upright_rgb(fileobj, long_edge=SELFIE_LONG_EDGE, max_pixels=settings.SELFIE_MAX_PIXELS, bounded=True)


def _engine_turn(engine: FaceEngine) -> AbstractContextManager:
    """A turn of the web process's bounded image work (galleries/decoding.py) for an
    engine that computes in the process: a selfie without a face HOG can find goes to
    dlib's CNN, which holds the GIL for up to a second, so that two at once in one
    process would keep its other thread (a health check, a page) waiting for both.
    DecodeBusy when no turn is free in time. Rekognition's calls wait on the network
    and take none."""
    return decoding.decode_turn(cost_bytes=0) if engine.computes_in_process else nullcontext()


def faces_compare(*, source: Image.Image, target: Image.Image) -> Comparison:
    """Whether the largest face of source appears in target, with the similarity
    (0-100) of the closest face; a match from COMPARE_MATCH_SIMILARITY up. Without a
    face in either image: no match, similarity 0."""
    engine = get_engine()
    with _engine_turn(engine):
        similarity_ = engine.compare(source, target)
    if similarity_ is None:
        return Comparison(match=False, similarity=0.0)
    return Comparison(match=similarity_ >= COMPARE_MATCH_SIMILARITY, similarity=round(similarity_, 2))


def faces_detect(*, image: Image.Image) -> list[DetectedFace]:
    """Every face of the image with its box (ratios), confidence and landmarks."""
    engine = get_engine()
    with _engine_turn(engine):
        return engine.detect(image)
