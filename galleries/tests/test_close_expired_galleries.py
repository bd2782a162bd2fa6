"""manage.py close_expired_galleries: the face data of galleries past their closing time
goes, and Find me is switched off; nothing is done twice, and --dry-run does nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from faces import search
from faces.models import Face, FaceCollection, PhotoFaces
from faces.tests import face_images
from faces.tests.find_me import add_photos, face_search_gallery
from galleries.models import Gallery
from galleries.tests.factories import make_gallery

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("close_expired_galleries", *args, stdout=out)
    return out.getvalue()


def _closed_gallery_with_faces(capture, **fields) -> Gallery:
    gallery = face_search_gallery(**fields)
    add_photos(gallery, [face_images.group_photo()], capture)
    assert Face.objects.filter(gallery=gallery).exists()
    Gallery.objects.filter(pk=gallery.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    gallery.refresh_from_db()
    return gallery


def test_it_deletes_the_face_data_of_closed_galleries_and_switches_find_me_off(django_capture_on_commit_callbacks):
    closed = _closed_gallery_with_faces(django_capture_on_commit_callbacks, name="Closed", slug="closed-one")
    still_open = face_search_gallery(name="Open", closes_at=timezone.now() + timedelta(days=1))
    add_photos(still_open, [face_images.group_photo()], django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        output = _run()

    closed.refresh_from_db()
    assert not closed.face_search_enabled
    assert not Face.objects.filter(gallery=closed).exists()
    assert not PhotoFaces.objects.filter(gallery=closed).exists()
    assert not FaceCollection.objects.filter(gallery=closed).exists()
    assert "closed-one" in output and "1 gallery(ies) closed." in output
    # The gallery that has not closed yet keeps everything.
    still_open.refresh_from_db()
    assert still_open.face_search_enabled and Face.objects.filter(gallery=still_open).exists()
    search.forget(closed.pk)
    search.forget(still_open.pk)


def test_it_is_quiet_and_cheap_once_everything_is_done(django_capture_on_commit_callbacks):
    _closed_gallery_with_faces(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _run()

    with CaptureQueriesContext(connection) as queries:
        output = _run()

    assert output == ""
    assert len(queries) == 1


def test_a_dry_run_says_what_it_would_do_and_does_nothing(django_capture_on_commit_callbacks):
    gallery = _closed_gallery_with_faces(django_capture_on_commit_callbacks, slug="closing-soon-dry")

    output = _run("--dry-run")

    assert "Would switch Find me off and delete the face data of closing-soon-dry" in output
    assert "1 gallery(ies) to close." in output
    gallery.refresh_from_db()
    assert gallery.face_search_enabled and Face.objects.filter(gallery=gallery).exists()
    search.forget(gallery.pk)


def test_galleries_without_a_closing_date_or_face_data_are_left_alone():
    make_gallery(face_search_enabled=True)
    make_gallery(closes_at=timezone.now() - timedelta(days=3))

    assert _run() == ""


@pytest.mark.django_db(transaction=True)
def test_the_worker_closes_them_with_no_cron_set_up(settings, django_capture_on_commit_callbacks):
    closed = _closed_gallery_with_faces(django_capture_on_commit_callbacks)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0, worker_id="sweeper")

    closed.refresh_from_db()
    assert not closed.face_search_enabled
    assert not Face.objects.filter(gallery=closed).exists()
    assert not FaceCollection.objects.filter(gallery=closed).exists()
    search.forget(closed.pk)
