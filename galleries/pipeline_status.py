"""Where a gallery's photos stand in the pipeline, for the organizer's admin: processed,
waiting, failed; indexed for Find me, waiting, failed; and how long the oldest waiting
one has waited (a stuck queue shows as a wait that grows).

One query whatever the gallery's size. Face indexing is read through the photos' face
index (Photo.face_index, faces.PhotoFaces) by its status values: this module, like
galleries.models, never imports faces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q

from galleries.models import Gallery, Photo

PROCESSING_WAITING = (Photo.Status.PENDING, Photo.Status.PROCESSING)
# faces.models.PhotoFaces.Status's values.
INDEX_WAITING = ("pending", "indexing")
INDEXED, INDEX_FAILED = "indexed", "failed"


@dataclass(frozen=True)
class PipelineStatus:
    photos: int
    processed: int
    waiting: int  # for processing: queued or being processed
    failed: int
    awaiting_review: int  # guests' photos the organizer has not approved yet
    oldest_waiting_since: datetime | None  # queued_at of the photo that has waited longest
    indexed: int
    index_waiting: int
    index_failed: int
    oldest_index_waiting_since: datetime | None


def gallery_pipeline_status(*, gallery: Gallery) -> PipelineStatus:
    counts = Photo.objects.filter(gallery=gallery).aggregate(
        photos=Count("pk"),
        processed=Count("pk", filter=Q(status=Photo.Status.READY)),
        waiting=Count("pk", filter=Q(status__in=PROCESSING_WAITING)),
        failed=Count("pk", filter=Q(status=Photo.Status.FAILED)),
        awaiting_review=Count("pk", filter=Q(review=Photo.Review.PENDING)),
        oldest_waiting_since=Min("queued_at", filter=Q(status__in=PROCESSING_WAITING)),
        indexed=Count("pk", filter=Q(face_index__status=INDEXED)),
        index_waiting=Count("pk", filter=Q(face_index__status__in=INDEX_WAITING)),
        index_failed=Count("pk", filter=Q(face_index__status=INDEX_FAILED)),
        oldest_index_waiting_since=Min("face_index__queued_at", filter=Q(face_index__status__in=INDEX_WAITING)),
    )
    return PipelineStatus(**counts)


def oldest_waiting_annotation():
    """For a list of galleries: when its photo that has waited longest for processing was queued."""
    return Min("photos__queued_at", filter=Q(photos__status__in=PROCESSING_WAITING))
