"""The background tasks that services queue, named by their paths.

A tasks module imports the services whose work its tasks run (tasks are thin wrappers
that take ids, re-load and call a service), so a service that queues a task finds it
by its path here instead of importing the tasks module: imports go one way, tasks →
services. django-tasks records every run under the same path (DBTaskResult.task_path).
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

PROCESS_PHOTO = "galleries.tasks.process_photo"
RENDER_PHOTO = "galleries.tasks.render_photo"
REFRESH_PHOTO_WATERMARK = "galleries.tasks.refresh_photo_watermark"

INDEX_PHOTO_FACES = "faces.tasks.index_photo_faces"
DELETE_EXTERNAL_FACES = "faces.tasks.delete_external_faces"
DELETE_EXTERNAL_COLLECTION = "faces.tasks.delete_external_collection"
SEND_HIDE_REQUEST_WAITING_EMAIL = "faces.tasks.send_hide_request_waiting_email"


def task_at(path: str):
    """The django-tasks Task at `path` (one of the names above)."""
    return import_string(path)


def task_enqueue(path: str, *, priority: int, delay_s: float = 0, **arguments) -> None:
    """Queue the task at `path` with `arguments`, at `priority` (galleries/task_priorities.py),
    to start no sooner than `delay_s` from now where the backend can wait. Services call it
    on commit, so that the worker finds the rows the task re-loads."""
    task = task_at(path).using(priority=priority)
    if delay_s and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    task.enqueue(**arguments)
