"""What storage and database look like after uploads, failures and deletions,
on local storage and on a real S3 protocol server."""

import urllib.request
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.utils import timezone

from galleries.models import Gallery, Photo
from galleries.services.folder_import import ImportReport, folder_files, photo_import_file
from galleries.services.galleries import gallery_delete
from galleries.services.photos import DuplicatePhoto, PhotoRejected, photo_create, photo_delete
from galleries.services.processing import photo_process
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.images import jpeg_bytes


def test_two_files_with_the_same_name_are_both_kept(any_storage, db):
    gallery = make_gallery()
    first, second = unique_jpeg(), unique_jpeg()

    a = upload_photo(gallery, content=first, filename="IMG_0001.jpg")
    b = upload_photo(gallery, content=second, filename="IMG_0001.jpg")

    assert a.original.name != b.original.name
    assert "IMG_0001" not in a.original.name  # keys are made by the application
    assert a.original.open("rb").read() == first
    assert b.original.open("rb").read() == second
    assert any_storage() == sorted(a.stored_names + b.stored_names)


def test_processing_stores_the_three_derivatives_beside_the_untouched_original(any_storage, db):
    content = unique_jpeg(width=2400, height=1800)
    photo = upload_photo(make_gallery(), content=content)

    assert photo.status == Photo.Status.READY
    assert {name.rsplit("/", 1)[1] for name in any_storage()} == {
        "original.jpg",
        "thumb.jpg",
        "middle.jpg",
        "display.jpg",
    }
    assert photo.original.open("rb").read() == content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not a photo", "not an image"),
        (jpeg_bytes(width=800, height=600)[:3000], "damaged"),
    ],
)
def test_a_refused_file_leaves_nothing_behind(any_storage, db, content, message):
    gallery = make_gallery()

    with pytest.raises(PhotoRejected, match=message):
        photo_create(gallery=gallery, upload=ContentFile(content, name="x.jpg"), filename="x.jpg")

    assert not Photo.objects.exists()
    assert any_storage() == []


def test_a_duplicate_is_refused_and_stores_nothing(any_storage, db):
    gallery = make_gallery()
    content = unique_jpeg()
    photo = upload_photo(gallery, content=content, filename="a.jpg")

    with pytest.raises(DuplicatePhoto, match="a.jpg"):
        photo_create(gallery=gallery, upload=ContentFile(content, name="b.jpg"), filename="b.jpg")

    assert Photo.objects.count() == 1
    assert any_storage() == sorted(photo.stored_names)


def test_a_row_that_cannot_be_written_takes_its_file_away(any_storage, transactional_db):
    gallery = make_gallery()
    Gallery.objects.filter(pk=gallery.pk).delete()  # gone while the upload was on its way

    with pytest.raises(IntegrityError):
        photo_create(gallery=gallery, upload=ContentFile(unique_jpeg(), name="a.jpg"), filename="a.jpg")

    assert not Photo.objects.exists()
    assert any_storage() == []


def test_deleting_a_photo_deletes_its_files_after_commit(any_storage, db, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    kept = upload_photo(gallery)
    photo = upload_photo(gallery)

    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=photo)

    assert any_storage() == sorted(kept.stored_names)


def test_deleting_a_gallery_deletes_every_file_of_it(any_storage, db, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    for _ in range(3):
        upload_photo(gallery)
    other = upload_photo(make_gallery())

    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)

    assert not Photo.objects.filter(gallery_id=gallery.pk).exists()
    assert any_storage() == sorted(other.stored_names)


def test_a_photo_whose_original_is_gone_is_marked_failed_and_can_be_retried(any_storage, db):
    photo = upload_photo(make_gallery(), process=False)
    content = photo.original.open("rb").read()
    photo.original.storage.delete(photo.original.name)

    assert photo_process(photo_id=photo.pk) is None
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.error == "The original is missing from storage; upload the photo again."
    assert any_storage() == []

    photo.original.storage.save(photo.original.name, ContentFile(content))
    assert photo_process(photo_id=photo.pk).status == Photo.Status.READY


def test_reprocessing_replaces_the_derivatives_without_leaving_the_old_ones(any_storage, db):
    photo = upload_photo(make_gallery())

    reprocessed = photo_process(photo_id=photo.pk)

    assert len(any_storage()) == 4
    assert any_storage() == sorted(reprocessed.stored_names)


@pytest.mark.s3
def test_an_s3_outage_in_the_middle_of_an_import_loses_none_of_the_stored_photos(
    s3_server, s3_storage, db, tmp_path, settings
):
    # The import waits for the storage, TASK_MAX_ATTEMPTS times: not long here.
    settings.TRANSIENT_RETRY_DELAY_S = 0.01
    settings.TASK_MAX_ATTEMPTS = 2
    gallery = make_gallery()
    folder = tmp_path / "card"
    folder.mkdir()
    for n in range(4):
        (folder / f"IMG_{n}.jpg").write_bytes(unique_jpeg())
    report = ImportReport()
    paths = folder_files(folder)

    for path in paths[:2]:
        photo_import_file(gallery=gallery, path=path, report=report)
    with s3_server.unavailable():
        photo_import_file(gallery=gallery, path=paths[2], report=report)
    photo_import_file(gallery=gallery, path=paths[3], report=report)

    assert [p.name for p in report.imported] == ["IMG_0.jpg", "IMG_1.jpg", "IMG_3.jpg"]
    assert report.failed == [(paths[2], "The file could not be stored (storage unavailable); nothing was saved.")]
    stored = {o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_storage).get("Contents", [])}
    assert stored == {photo.original.name for photo in Photo.objects.all()}
    assert Photo.objects.count() == 3

    # Running the import again picks up exactly what is missing.
    again = ImportReport()
    for path in paths:
        photo_import_file(gallery=gallery, path=path, report=again)
    assert [p.name for p in again.imported] == ["IMG_2.jpg"]
    assert len(again.already_there) == 3


@pytest.mark.s3
def test_s3_photos_are_served_through_signed_expiring_urls(s3_storage, client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE)
    content = unique_jpeg()
    photo = upload_photo(gallery, content=content, filename="Our day.jpg")
    client.post(f"/g/{gallery.slug}/access/", {"code": gallery.access_code})

    page = client.get(gallery.get_absolute_url()).text
    download = client.get(f"/photos/{photo.key}/original", {"download": 1})

    assert "X-Amz-Signature=" in page and "X-Amz-Expires=300&" in page
    assert download.status_code == 302
    signed = download["Location"]
    assert "X-Amz-Signature=" in signed
    with urllib.request.urlopen(signed, timeout=5) as response:
        assert response.read() == content
        assert response.headers["Content-Disposition"] == 'attachment; filename="Our day.jpg"'
    unsigned = signed.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(unsigned, timeout=5)


@pytest.mark.s3
def test_a_photo_whose_storage_does_not_answer_is_queued_again_later_then_fails_with_the_reason(
    s3_server, s3_storage, transactional_db, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TRANSIENT_RETRY_ATTEMPTS = 1
    settings.TASK_MAX_ATTEMPTS = 2
    settings.TASK_RETRY_DELAY_S = 30
    photo = upload_photo(make_gallery(), process=False)
    DBTaskResult.objects.all().delete()  # as a worker has claimed it

    with s3_server.unavailable():
        assert photo_process(photo_id=photo.pk) is None

    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING
    assert photo.error == (
        "The original could not be read from storage: the storage did not answer; "
        "trying again in 30 s (attempt 2 of 2)."
    )
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["kwargs"] == {"photo_id": photo.pk}
    assert timezone.now() + timedelta(seconds=20) < retry.run_after <= timezone.now() + timedelta(seconds=30)

    with s3_server.unavailable():
        assert photo_process(photo_id=photo.pk) is None

    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.error == (
        "The original could not be read from storage: the storage did not answer (2 attempts); retry the photo later."
    )
    assert s3_server.client().list_objects_v2(Bucket=s3_storage)["KeyCount"] == 1  # the original only
