"""Healing the photos a dead worker left stuck: the sweep the worker runs now and then
(ops/sweeps.py; registered in galleries/apps.py).

Invariant: a photo is queued at most once, whatever the number of workers sweeping at
once (each photo locked and checked again: ops.services.stuck_rows_put_right), and a
photo whose processing a live task runs is left to it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from galleries.models import Photo
from galleries.services.photos import enqueue_photo_processing
from galleries.services.processing import _mark_failed, _worker_lost_reason
from ops.services import stuck_rows_put_right


def photos_requeue_stuck() -> int:
    """Queues again the photos whose processing was lost, and returns how many: those
    in processing without a live task (their worker died, or the database dropped
    before the task could finish), and those pending without one for longer than
    WORKER_HEARTBEAT_MAX_AGE_S (the enqueue was lost). A photo whose processing ran
    TASK_MAX_ATTEMPTS times fails instead.

    The workers sweep it now and then (registered in GalleriesConfig.ready(); ops/sweeps.py),
    after putting the tasks of dead workers back in the queue.
    """
    from galleries.tasks import process_photo

    now = timezone.now()
    stuck = Q(status=Photo.Status.PROCESSING) | Q(
        status=Photo.Status.PENDING, queued_at__lt=now - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_S)
    )

    def put_right(photo: Photo) -> None:
        if photo.processing_attempts >= settings.TASK_MAX_ATTEMPTS:
            _mark_failed(photo, _worker_lost_reason(photo.processing_attempts))
            return
        lost = photo.status == Photo.Status.PROCESSING
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.PENDING,
            error="The worker stopped while processing this photo; queued again." if lost else photo.error,
            queued_at=now,
        )
        transaction.on_commit(partial(enqueue_photo_processing, photo_id=photo.pk))

    return stuck_rows_put_right(
        rows=Photo.objects.filter(stuck), task=process_photo, argument="photo_id", put_right=put_right
    )
