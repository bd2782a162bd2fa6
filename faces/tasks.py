from django_tasks import task

from faces import services


@task()
def index_photo_faces(*, photo_id: int) -> None:
    services.photo_faces_index(photo_id=photo_id)


@task()
def delete_external_faces(*, collection: str, external_ids: list[str]) -> None:
    services.external_faces_delete(collection=collection, external_ids=external_ids)


@task()
def delete_external_collection(*, collection: str) -> None:
    services.external_collection_delete(collection=collection)
