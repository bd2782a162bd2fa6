"""Indexing the faces of gallery photos, and forgetting them.

A photo is indexed once guests see it and its gallery has Find me on; its faces are
stored with the people they are grouped into, and its gallery's `updated_at` moves (the
page's alt texts count the people). Face rows are deleted in the transaction that
deletes their photos or switches Find me off; the engine's copies (Rekognition) and
every process's search cache are dropped only once that has committed. Indexing a
photo is one worker's at a time and is found again when a worker was lost.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable
from functools import partial

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from eventgallery import transient
from faces import copies, engines, search
from faces.engines.base import FaceEngine, FaceEngineError, IndexedFace
from faces.models import Face, FaceCollection, PhotoFaces
from galleries import focal
from galleries.imaging import ImageRejected, open_upright_rgb
from galleries.models import Gallery, Photo
from galleries.task_paths import (
    DELETE_EXTERNAL_COLLECTION,
    DELETE_EXTERNAL_FACES,
    INDEX_PHOTO_FACES,
    task_at,
    task_enqueue,
)
from galleries.task_priorities import FACE_INDEXING, UPKEEP, fair_share

logger = logging.getLogger(__name__)


def collection_name(gallery_id: int) -> str:
    return f"{settings.REKOGNITION_COLLECTION_PREFIX}gallery-{gallery_id}"


def photo_faces_queue(*, photo: Photo) -> bool:
    """Queue the indexing of a processed photo that guests see, if its gallery has face
    search on (a guest's photo waiting for approval is indexed once approved)."""
    if not photo.is_guest_visible or not Gallery.objects.filter(pk=photo.gallery_id, face_search_enabled=True).exists():
        return False
    _photos_faces_queue(gallery_id=photo.gallery_id, photo_ids=[photo.pk])
    return True


def gallery_faces_queue(*, gallery: Gallery, reindex: bool = False) -> int:
    """Queue the gallery's ready photos that are not indexed yet (all of them with
    reindex). Returns how many were queued. A few queries whatever the number of photos,
    and after the commit one to rank them and one per task queued."""
    if not Gallery.objects.filter(pk=gallery.pk, face_search_enabled=True).exists():
        return 0
    photos = gallery.photos.guest_visible()
    if not reindex:
        photos = photos.exclude(face_index__status=PhotoFaces.Status.INDEXED)
    photo_ids = list(photos.order_by("pk").values_list("pk", flat=True))
    _photos_faces_queue(gallery_id=gallery.pk, photo_ids=photo_ids)
    return len(photo_ids)


def _photos_faces_queue(*, gallery_id: int, photo_ids: list[int]) -> None:
    """Mark the photos' faces waiting (one upsert) and queue their indexing on commit."""
    if not photo_ids:
        return
    now = timezone.now()
    PhotoFaces.objects.bulk_create(
        [
            PhotoFaces(
                photo_id=photo_id,
                gallery_id=gallery_id,
                status=PhotoFaces.Status.PENDING,
                error="",
                attempts=0,
                queued_at=now,
            )
            for photo_id in photo_ids
        ],
        update_conflicts=True,
        unique_fields=["photo"],
        update_fields=["gallery", "status", "error", "attempts", "queued_at"],
    )
    transaction.on_commit(partial(_enqueue_indexing_batch, gallery_id=gallery_id, photo_ids=photo_ids))


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


def _indexing_priorities(*, gallery_id: int, photo_ids: list[int]) -> dict[int, int]:
    """Find me's indexing after every photo's sizes, its galleries sharing fairly
    (galleries/task_priorities.py): each photo's priority from the gallery's photos
    waiting ahead of it. One COUNT for one photo, one query of ids for a batch."""
    waiting = PhotoFaces.objects.filter(
        gallery_id=gallery_id,
        status__in=(PhotoFaces.Status.PENDING, PhotoFaces.Status.INDEXING),
        photo_id__lt=max(photo_ids),
    )
    if len(photo_ids) == 1:
        return {photo_ids[0]: fair_share(FACE_INDEXING, waiting=waiting.count())}
    ahead = sorted(waiting.values_list("photo_id", flat=True))
    return {photo_id: fair_share(FACE_INDEXING, waiting=bisect_left(ahead, photo_id)) for photo_id in photo_ids}


def _enqueue_indexing_batch(*, gallery_id: int, photo_ids: list[int], delay_s: float = 0) -> None:
    priorities = _indexing_priorities(gallery_id=gallery_id, photo_ids=photo_ids)
    for photo_id in photo_ids:
        task_enqueue(INDEX_PHOTO_FACES, priority=priorities[photo_id], delay_s=delay_s, photo_id=photo_id)


def _enqueue_indexing(*, photo_id: int, delay_s: float = 0) -> None:
    gallery_id = PhotoFaces.objects.filter(photo_id=photo_id).values_list("gallery_id", flat=True).first()
    if gallery_id is None:
        task_enqueue(INDEX_PHOTO_FACES, priority=FACE_INDEXING, delay_s=delay_s, photo_id=photo_id)
    else:
        _enqueue_indexing_batch(gallery_id=gallery_id, photo_ids=[photo_id], delay_s=delay_s)


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
    engine = engines.get_engine()
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
            transaction.on_commit(
                partial(_enqueue_indexing_batch, gallery_id=photo_faces.gallery_id, photo_ids=[photo_id], delay_s=delay)
            )
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
    # the faces were indexed is made again.
    Gallery.objects.filter(pk=photo.gallery_id).touch()
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
    if engines.get_engine().searches_in_database:
        return
    transaction.on_commit(
        partial(_enqueue_faces_deletion, collection=collection_name(gallery_id), external_ids=external_ids)
    )


def _enqueue_faces_deletion(*, collection: str, external_ids: list[str]) -> None:
    delete_external_faces = task_at(DELETE_EXTERNAL_FACES)

    delete_external_faces.using(priority=UPKEEP).enqueue(collection=collection, external_ids=external_ids)


def _enqueue_collection_deletion(*, collection: str) -> None:
    delete_external_collection = task_at(DELETE_EXTERNAL_COLLECTION)

    delete_external_collection.using(priority=UPKEEP).enqueue(collection=collection)


def external_faces_delete(*, collection: str, external_ids: list[str]) -> None:
    engines.get_engine().delete_faces(collection=collection, external_ids=external_ids)


def external_collection_delete(*, collection: str) -> None:
    engines.get_engine().delete_collection(collection=collection)
