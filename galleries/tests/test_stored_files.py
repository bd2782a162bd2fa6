"""Files that no row names (galleries/services/stored_files.py): found against every
FileField, deleted by the worker's daily sweep and by manage.py delete_orphan_files,
and never a file that a row, a live gallery's phone hero or a young upload still needs."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from galleries.hero import hero_folder
from galleries.models import Gallery
from galleries.services.galleries import gallery_delete
from galleries.services.stored_files import stored_files_orphaned, stored_files_orphaned_delete, stored_files_sweep
from galleries.tests.factories import bulk_ready_photos, make_gallery, upload_photo
from ops.tests.gunicorn_server import free_port


def _soon():
    """A cutoff after every file the test stored: all of them count as old."""
    return timezone.now() + timedelta(minutes=1)


def _store(name: str) -> str:
    stored = default_storage.save(name, ContentFile(b"bytes"))
    assert stored == name
    return stored


@pytest.fixture
def storage_with_orphans(db):
    """A live gallery with a photo, its phone hero and its logo beside four files no row
    names, and one file outside the application's folders."""
    gallery = make_gallery()
    photo = upload_photo(gallery)
    logo = _store(f"watermarks/{uuid.uuid4().hex}.png")
    Gallery.objects.filter(pk=gallery.pk).update(watermark_logo=logo)
    hero = _store(f"{hero_folder(gallery.pk)}/v1.jpg")
    gone = Gallery.objects.order_by("-pk").first().pk + 1000  # a gallery deleted while the storage was away
    orphans = {
        _store(f"galleries/{gallery.pk}/{photo.key}/thumb_Ab3dE9x.jpg"),  # a PUT sent again under a new name
        _store(f"galleries/{gone}/{uuid.uuid4()}/original.jpg"),
        _store(f"{hero_folder(gone)}/v3.jpg"),
        _store(f"watermarks/{uuid.uuid4().hex}.png"),
    }
    kept = {*photo.stored_names, logo, hero, _store("notes/shot-list.txt")}
    return orphans, kept


def test_it_finds_the_files_no_row_names_and_keeps_every_named_one(any_storage, storage_with_orphans):
    orphans, kept = storage_with_orphans
    assert kept | orphans == set(any_storage())

    assert {stored.name for stored in stored_files_orphaned(stored_before=_soon())} == orphans

    assert stored_files_orphaned_delete(stored_before=_soon()) == 4
    assert set(any_storage()) == kept
    assert stored_files_orphaned(stored_before=_soon()) == []


def test_the_sweep_leaves_files_younger_than_a_day_alone(any_storage, storage_with_orphans):
    """A file is stored before its row: a young one may be an upload on its way."""
    orphans, kept = storage_with_orphans

    assert stored_files_sweep() == 0
    assert stored_files_orphaned(stored_before=timezone.now() - timedelta(hours=1)) == []
    assert set(any_storage()) == kept | orphans


def test_the_command_lists_them_on_a_dry_run_and_deletes_them_without(any_storage, storage_with_orphans):
    orphans, kept = storage_with_orphans
    out = StringIO()

    call_command("delete_orphan_files", "--hours", "0", "--dry-run", stdout=out)
    listed = out.getvalue().splitlines()
    assert listed[-1] == "4 file(s) without a row; nothing deleted."
    assert {line.split(" (stored ")[0] for line in listed[:-1]} == orphans
    assert set(any_storage()) == kept | orphans

    out = StringIO()
    call_command("delete_orphan_files", stdout=out)  # a day old by default: these are younger
    assert out.getvalue() == "0 file(s) without a row deleted.\n"

    out = StringIO()
    call_command("delete_orphan_files", "--hours", "0", stdout=out)
    assert out.getvalue() == "4 file(s) without a row deleted.\n"
    assert set(any_storage()) == kept


def test_a_gallery_deleted_while_s3_was_away_loses_its_files_once_it_is_back(
    db, s3_storage, s3_server, settings, django_capture_on_commit_callbacks, caplog
):
    """S3 away as a refused connection: the deletes never reach it (a frozen server would
    still run them once it woke)."""

    def stored():
        listed = s3_server.client().list_objects_v2(Bucket=s3_storage)
        return {obj["Key"] for obj in listed.get("Contents", [])}

    other = upload_photo(make_gallery())
    gallery = make_gallery()
    photo = upload_photo(gallery)
    reachable = settings.STORAGES
    # A free port: nothing listens there.
    away = {**reachable["default"]["OPTIONS"], "endpoint_url": f"http://127.0.0.1:{free_port()}"}
    settings.STORAGES = {**reachable, "default": {**reachable["default"], "OPTIONS": away}}
    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)
    settings.STORAGES = reachable

    assert not Gallery.objects.filter(pk=gallery.pk).exists()
    assert "Could not delete" in caplog.text
    assert stored() == {*photo.stored_names, *other.stored_names}
    assert stored_files_orphaned_delete(stored_before=_soon()) == len(photo.stored_names)
    assert stored() == set(other.stored_names)


def test_a_folder_costs_one_query_however_many_photos_it_holds(db, django_assert_num_queries):
    for gallery in (make_gallery(), make_gallery()):
        for photo in bulk_ready_photos(gallery, 40):
            for name in photo.stored_names:
                _store(name)

    with django_assert_num_queries(3):  # the galleries, then each gallery's photos
        assert stored_files_orphaned(stored_before=_soon()) == []
