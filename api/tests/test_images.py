"""POST /api/image/upload, POST /api/gallery/<id>/photos (attach), DELETE /api/image/<id>,
and the signed addresses of stored files."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import PendingUpload
from api.services import api_key_authenticate
from api.tests.factories import bearer
from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo

UPLOAD_URL = "/api/image/upload"


def _upload(client, key, content=None, name="IMG_0001.jpg"):
    file = SimpleUploadedFile(name, content if content is not None else unique_jpeg(), content_type="image/jpeg")
    return client.post(UPLOAD_URL, {"file": file}, **bearer(key))


def _attach(client, key, gallery, filename):
    return client.post(
        f"/api/gallery/{gallery.pk}/photos", {"filename": filename}, content_type="application/json", **bearer(key)
    )


def test_an_upload_is_stored_under_a_name_of_the_applications_own(client, owner, owner_key, any_storage):
    response = _upload(client, owner_key, name="../../galleries/1/IMG_0001.jpg")

    assert response.status_code == 201
    body = response.json()
    pending = PendingUpload.objects.get(key=body["filename"])
    assert pending.owner == owner
    assert pending.original_filename == "IMG_0001.jpg"
    assert any_storage() == [f"uploads/{pending.key}/original.jpg"]
    assert body["url"].startswith("http")


def test_two_uploads_of_the_same_name_do_not_overwrite_each_other(client, owner_key, any_storage):
    first = _upload(client, owner_key, name="IMG_0001.jpg").json()
    second = _upload(client, owner_key, name="IMG_0001.jpg").json()

    assert first["filename"] != second["filename"]
    assert len(any_storage()) == 2


def test_the_upload_url_gives_the_stored_file_to_whoever_holds_it_until_it_expires(client, owner_key, settings):
    content = unique_jpeg()
    url = _upload(client, owner_key, content=content).json()["url"]

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Cache-Control"] == "private, no-cache"
    settings.API_SIGNED_URL_SECONDS = -1
    assert client.get(url).status_code == 404


def test_a_forged_file_address_is_not_found(client, db):
    response = client.get("/api/files/galleries:1:original")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n" + b"0" * 4000, "This file is not an image"),
        (b"", "The file is empty."),
    ],
    ids=["not an image", "empty"],
)
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(client, owner_key, any_storage, content, message):
    response = _upload(client, owner_key, content=content, name="notes.jpg")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("rejected", "file")
    assert error["message"].startswith(message)
    assert any_storage() == []
    assert not PendingUpload.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_as_too_large(client, owner_key, settings, any_storage):
    settings.PHOTO_MAX_UPLOAD_MB = 0

    response = _upload(client, owner_key)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert any_storage() == []


def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(client, owner_key, settings):
    settings.PHOTO_MAX_UPLOAD_MB = 0

    response = client.post(UPLOAD_URL, data=b"x" * (2 * 1024 * 1024), content_type="multipart/form-data; boundary=x")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_an_upload_without_a_file_names_the_field(client, owner_key):
    response = client.post(UPLOAD_URL, {}, **bearer(owner_key))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "file"


def test_uploading_needs_a_key(client, db, any_storage):
    response = client.post(UPLOAD_URL, {"file": SimpleUploadedFile("a.jpg", unique_jpeg())})

    assert response.status_code == 401
    assert any_storage() == []


def test_an_attached_upload_becomes_a_processed_photo_of_the_gallery(
    client, owner, owner_key, any_storage, django_capture_on_commit_callbacks
):
    gallery = make_gallery(owner=owner)
    filename = _upload(client, owner_key, name="IMG_0042.jpg").json()["filename"]

    with django_capture_on_commit_callbacks(execute=True):
        response = _attach(client, owner_key, gallery, filename)

    assert response.status_code == 201
    body = response.json()
    photo = Photo.objects.get(key=body["id"])
    assert (photo.gallery, photo.original_filename) == (gallery, "IMG_0042.jpg")
    photo.refresh_from_db()
    assert photo.is_ready
    assert not PendingUpload.objects.exists()
    assert any_storage() == sorted(photo.stored_names)


def test_an_upload_is_attached_once(client, owner, owner_key):
    gallery = make_gallery(owner=owner)
    filename = _upload(client, owner_key).json()["filename"]
    assert _attach(client, owner_key, gallery, filename).status_code == 201

    response = _attach(client, owner_key, gallery, filename)

    assert response.status_code == 404
    assert response.json()["error"]["field"] == "filename"
    assert gallery.photos.count() == 1


def test_a_photo_already_in_the_gallery_is_a_conflict_and_the_upload_stays(client, owner, owner_key, any_storage):
    gallery = make_gallery(owner=owner)
    content = unique_jpeg()
    existing = upload_photo(gallery, content=content, process=False)
    filename = _upload(client, owner_key, content=content).json()["filename"]

    response = _attach(client, owner_key, gallery, filename)

    assert response.status_code == 409
    assert str(existing.key) in response.json()["error"]["message"]
    assert gallery.photos.count() == 1
    assert PendingUpload.objects.filter(key=filename).exists()
    assert len(any_storage()) == 2  # the existing original and the upload, nothing more


def test_only_the_uploading_organizer_can_attach_an_upload(client, owner_key, other_key):
    filename = _upload(client, owner_key).json()["filename"]
    gallery_of_other = make_gallery(owner=_user_of(other_key))

    response = _attach(client, other_key, gallery_of_other, filename)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "upload_not_found"
    assert PendingUpload.objects.count() == 1


def _user_of(key):
    return api_key_authenticate(key=key).user


def test_an_upload_cannot_be_attached_to_another_organizers_gallery(client, owner_key, other_key):
    filename = _upload(client, owner_key).json()["filename"]
    gallery = make_gallery(owner=_user_of(other_key), is_published=False)

    response = _attach(client, owner_key, gallery, filename)

    assert response.status_code == 404
    assert not Photo.objects.exists()


@pytest.mark.parametrize(("filename", "status"), [("not-a-key", 422), (str(uuid.uuid4()), 404), (None, 422)])
def test_a_bad_filename_is_refused_with_the_field_named(client, owner, owner_key, filename, status):
    gallery = make_gallery(owner=owner)

    response = _attach(client, owner_key, gallery, filename)

    assert response.status_code == status
    assert response.json()["error"]["field"] == "filename"


def test_it_deletes_a_photo_with_its_files(client, owner, owner_key, any_storage, django_capture_on_commit_callbacks):
    photo = upload_photo(make_gallery(owner=owner))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/image/{photo.key}", **bearer(owner_key))

    assert response.status_code == 204
    assert not Photo.objects.exists()
    assert any_storage() == []


def test_it_deletes_an_upload_not_attached_yet(client, owner_key, any_storage, django_capture_on_commit_callbacks):
    filename = _upload(client, owner_key).json()["filename"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/image/{filename}", **bearer(owner_key))

    assert response.status_code == 204
    assert not PendingUpload.objects.exists()
    assert any_storage() == []


def test_another_organizers_photo_is_not_found(client, owner, other_key):
    photo = upload_photo(make_gallery(owner=owner), process=False)

    response = client.delete(f"/api/image/{photo.key}", **bearer(other_key))

    assert response.status_code == 404
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_deleting_a_photo_needs_a_key(client, owner):
    photo = upload_photo(make_gallery(owner=owner), process=False)

    assert client.delete(f"/api/image/{photo.key}").status_code == 401
    assert Photo.objects.filter(pk=photo.pk).exists()
