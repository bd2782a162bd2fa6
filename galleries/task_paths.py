"""The background tasks that services queue, named by their paths.

A tasks module imports the services whose work its tasks run (tasks are thin wrappers
that take ids, re-load and call a service), so a service that queues a task finds it
by its path here instead of importing the tasks module: imports go one way, tasks →
services. django-tasks records every run under the same path (DBTaskResult.task_path).
"""

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
