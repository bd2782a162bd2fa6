"""The photo sweep's cost (galleries.healing.photos_requeue_stuck) with a long queue and
nothing stuck: what every sweeping worker paid every WORKER_SWEEP_INTERVAL_S.

    .venv/bin/python bench/healing_sweep.py [--rounds 9] [--database-url postgres://...]

N photos waiting for processing for longer than a heartbeat age, each with its task
queued (an import of N photos that the workers have not reached yet). The baseline is
the sweep's earlier first step, in the same run: read the photo_id of every live
process_photo task (ops.task_queue.tasks_live_arguments), then the stuck photos without
one (exclude pk__in). The sweep now asks the same in one query (the live tasks'
arguments as a NOT IN subquery, ops.task_queue.live_task_arguments). Both must find nothing to do; the
two are interleaved, the order alternating each round. SQLite in a temporary project by
default; --database-url runs it on PostgreSQL (the rows made are deleted afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import uuid
from datetime import timedelta

import common

SIZES = (1_000, 10_000)


def fill(size: int):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    from galleries.models import Gallery, Photo
    from galleries.tests.factories import bulk_ready_photos

    gallery = Gallery.objects.create(name=f"Sweep bench {size}", slug=f"sweep-bench-{uuid.uuid4().hex[:8]}")
    queued = timezone.now() - timedelta(minutes=10)
    photos = bulk_ready_photos(gallery, size)
    Photo.objects.filter(gallery=gallery).update(status=Photo.Status.PENDING, queued_at=queued)
    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            task_path="galleries.tasks.process_photo",
            args_kwargs={"args": [], "kwargs": {"photo_id": photo.pk}},
            backend_name="default",
            queue_name="default",
            run_after=get_date_max(),
        )
        for photo in photos
    )
    return gallery


def baseline() -> int:
    """The sweep's first step before: every live task's argument read into the process."""
    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from galleries.models import Photo
    from galleries.tasks import process_photo
    from ops.task_queue import tasks_live_arguments

    stuck = Q(status=Photo.Status.PROCESSING) | Q(
        status=Photo.Status.PENDING,
        queued_at__lt=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_S),
    )
    live = tasks_live_arguments(task=process_photo, argument="photo_id")
    return len(Photo.objects.filter(stuck).exclude(pk__in=live).values_list("pk", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    with common.project(**({"DATABASE_URL": options.database_url} if options.database_url else {})) as (_, env):
        common.django_setup(env)
        common.migrate()
        from django.db import connection
        from django_tasks_db.models import DBTaskResult

        from galleries.healing import photos_requeue_stuck

        rows = []
        for size in SIZES:
            gallery = fill(size)
            try:
                times = {"before": [], "now": []}
                for round_ in range(options.rounds):
                    order = [("before", baseline), ("now", photos_requeue_stuck)]
                    for name, sweep in order if round_ % 2 == 0 else reversed(order):
                        found, seconds = common.timed(sweep)
                        assert found == 0, f"{name} found {found} stuck photos"
                        times[name].append(seconds * 1000)
                before, now = statistics.median(times["before"]), statistics.median(times["now"])
                rows.append((f"{size:,}", f"{before:.1f}", f"{now:.1f}", f"{before / now:.1f}×"))
            finally:
                DBTaskResult.objects.filter(task_path="galleries.tasks.process_photo").delete()
                gallery.delete()
        print(f"{connection.vendor}, median of {options.rounds} rounds, ms per sweep:")
        print(common.table(["live tasks", "before", "now", "before/now"], rows))


if __name__ == "__main__":
    main()
