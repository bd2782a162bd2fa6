import pytest
from django.core.management import call_command

from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_worker_processes_uploaded_photos_and_survives_a_bad_one(database_task_backend, transactional_db):
    from django_tasks_db.models import DBTaskResult

    gallery = make_gallery()
    photos = [upload_photo(gallery, process=False) for _ in range(3)]
    broken = photos[1]
    broken.original.storage.delete(broken.original.name)
    assert DBTaskResult.objects.count() == 3
    assert set(Photo.objects.values_list("status", flat=True)) == {Photo.Status.PENDING}

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    statuses = dict(Photo.objects.values_list("pk", "status"))
    assert statuses == {
        photos[0].pk: Photo.Status.READY,
        broken.pk: Photo.Status.FAILED,
        photos[2].pk: Photo.Status.READY,
    }
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert photos[0].original.storage.exists(Photo.objects.get(pk=photos[0].pk).thumbnail.name)


def test_a_task_for_a_photo_deleted_meanwhile_does_nothing(database_task_backend, transactional_db):
    photo = upload_photo(make_gallery(), process=False)
    Photo.objects.filter(pk=photo.pk).delete()

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert not Photo.objects.exists()
