"""The order the workers take tasks in (galleries/task_priorities.py), with the real
queue (django-tasks-db) and the real worker: a guest's photo first, then the sizes of
organizers' photos with galleries sharing fairly, then face indexing."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django_tasks.signals import task_started

from galleries.models import Gallery, Photo
from galleries.services.guest_uploads import guest_photo_upload
from galleries.task_priorities import FAIR_SHARE_PHOTOS
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _run_the_worker() -> list[tuple[str, int]]:
    """Runs the queue out with the real worker: (task, photo id) in the order it took them."""
    taken = []

    def record(sender, task_result, **kwargs):
        taken.append((task_result.task.name, task_result.kwargs["photo_id"]))

    task_started.connect(record)
    try:
        call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="in-order")
    finally:
        task_started.disconnect(record)
    return taken


@pytest.mark.django_db(transaction=True)
def test_a_second_gallery_and_a_guest_do_not_wait_for_a_first_gallerys_backlog(database_task_backend):
    wedding = make_gallery(slug="wedding", face_search_enabled=True, guest_uploads=Gallery.GuestUploads.OPEN)
    backlog = [
        upload_photo(wedding, content=unique_jpeg(width=96, height=64), filename=f"DSC_{n:04d}.jpg", process=False)
        for n in range(2 * FAIR_SHARE_PHOTOS + 10)
    ]
    party = make_gallery(slug="party", face_search_enabled=True)
    first_of_party = upload_photo(party, content=unique_jpeg(width=96, height=64), filename="P_0001.jpg", process=False)
    guests = guest_photo_upload(
        gallery=wedding,
        upload=ContentFile(unique_jpeg(width=96, height=64), name="PXL_0001.jpg"),
        filename="PXL_0001.jpg",
        guest_name="Ann",
        device="guest-device",
        address="192.0.2.7",
    )

    taken = _run_the_worker()

    sizes = [photo_id for name, photo_id in taken if name == "process_photo"]
    indexing = [photo_id for name, photo_id in taken if name == "index_photo_faces"]
    assert sizes[0] == guests.pk  # queued last, made first
    # The party's first photo waits for at most a fair share of the wedding's backlog.
    assert sizes.index(first_of_party.pk) <= 1 + FAIR_SHARE_PHOTOS
    assert set(sizes) == {photo.pk for photo in [*backlog, first_of_party, guests]}
    # Every photo's sizes are made before any face is indexed, the party's first among the first indexed.
    assert taken.index(("index_photo_faces", indexing[0])) > taken.index(("process_photo", sizes[-1]))
    assert indexing.index(first_of_party.pk) <= 1 + FAIR_SHARE_PHOTOS
    assert Photo.objects.filter(status=Photo.Status.READY).count() == len(sizes)
