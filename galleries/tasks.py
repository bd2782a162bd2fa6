from django_tasks import task

from galleries import services


@task()
def process_photo(*, photo_id: int) -> None:
    services.photo_process(photo_id=photo_id)
