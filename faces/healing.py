"""Healing the face indexes a dead worker left stuck: the sweep the worker runs now and
then (ops/sweeps.py; registered in faces/apps.py).

Invariant: as galleries/healing.py for photos: a face index is queued at most once,
whatever the number of workers sweeping at once, and one a live task indexes is left
to it (ops.services.stuck_rows_put_right).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from faces.models import PhotoFaces
from faces.services.indexing import _enqueue_indexing, _worker_lost_reason
from ops.services import stuck_rows_put_right


def photo_faces_requeue_stuck() -> int:
    """Queues again the face indexes whose indexing was lost, and returns how many: as
    galleries.healing.photos_requeue_stuck does for photos (indexing without a live
    task, or pending without one for longer than WORKER_HEARTBEAT_MAX_AGE_S)."""
    from faces.tasks import index_photo_faces

    now = timezone.now()
    stuck = Q(status=PhotoFaces.Status.INDEXING) | Q(
        status=PhotoFaces.Status.PENDING,
        queued_at__lt=now - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_S),
    )

    def put_right(photo_faces: PhotoFaces) -> None:
        if photo_faces.attempts >= settings.TASK_MAX_ATTEMPTS:
            PhotoFaces.objects.filter(pk=photo_faces.pk).update(
                status=PhotoFaces.Status.FAILED, error=_worker_lost_reason(photo_faces.attempts), face_count=0
            )
            return
        lost = photo_faces.status == PhotoFaces.Status.INDEXING
        PhotoFaces.objects.filter(pk=photo_faces.pk).update(
            status=PhotoFaces.Status.PENDING,
            error="The worker stopped while indexing this photo; queued again." if lost else photo_faces.error,
            queued_at=now,
        )
        transaction.on_commit(partial(_enqueue_indexing, photo_id=photo_faces.pk))

    return stuck_rows_put_right(
        rows=PhotoFaces.objects.filter(stuck), task=index_photo_faces, argument="photo_id", put_right=put_right
    )
