"""The worker (manage.py db_worker) indexes faces after it made a photo's thumbnails."""

import pytest
from django.core.management import call_command

from faces.models import PhotoFaces
from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.tests.factories import upload_photo


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_worker_processes_a_photo_then_indexes_its_faces(database_task_backend, transactional_db):
    from django_tasks_db.models import DBTaskResult

    gallery = face_search_gallery()
    photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
    assert not PhotoFaces.objects.exists()

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert PhotoFaces.objects.get(photo=photo).status == PhotoFaces.Status.INDEXED
    assert photo.faces.count() == 6
    task_names = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert task_names == ["faces.tasks.index_photo_faces", "galleries.tasks.process_photo"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
