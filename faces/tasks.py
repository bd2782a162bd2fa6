from django_tasks import task

from faces import privacy
from faces.models import PhotoFaces
from faces.services.indexing import external_collection_delete, external_faces_delete, photo_faces_index
from ops.metrics import FACES_INDEXED, PHOTO_FACE_INDEXINGS


@task()
def index_photo_faces(*, photo_id: int) -> None:
    photo_faces = photo_faces_index(photo_id=photo_id)
    if photo_faces is None:
        PHOTO_FACE_INDEXINGS.labels(outcome="skipped").inc()
    elif photo_faces.status == PhotoFaces.Status.INDEXED:
        PHOTO_FACE_INDEXINGS.labels(outcome="indexed").inc()
        FACES_INDEXED.inc(photo_faces.face_count)
    else:
        PHOTO_FACE_INDEXINGS.labels(outcome="failed").inc()


@task()
def delete_external_faces(*, collection: str, external_ids: list[str]) -> None:
    external_faces_delete(collection=collection, external_ids=external_ids)


@task()
def delete_external_collection(*, collection: str) -> None:
    external_collection_delete(collection=collection)


@task()
def send_hide_request_waiting_email(*, hide_request_id: int) -> None:
    privacy.hide_request_waiting_email(hide_request_id=hide_request_id)
