import json

from django.core.files.uploadedfile import SimpleUploadedFile

from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg
from galleries.tests.images import (
    cmyk_jpeg_bytes,
    heic_bytes,
    huge_png_bytes,
    jpeg_bytes,
    png16_bytes,
    rgba_png_bytes,
)


def _files(*pairs):
    return [SimpleUploadedFile(name, content, content_type="image/jpeg") for name, content in pairs]


def test_the_gallery_page_offers_the_upload(organizer_client):
    gallery = make_gallery()

    response = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")

    assert response.status_code == 200
    assert f'action="/admin/galleries/gallery/{gallery.pk}/upload/"' in response.text
    assert 'type="file" name="photos"' in response.text and "multiple" in response.text
    assert "admin-upload.js" in response.text


def test_many_photos_upload_at_once_and_bad_ones_are_named(organizer_client, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    files = _files(("one.jpg", unique_jpeg()), ("notes.txt", b"shopping list"), ("two.heic", heic_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            f"/admin/galleries/gallery/{gallery.pk}/upload/", {"photos": files}, follow=True
        )

    assert sorted(gallery.photos.values_list("original_filename", flat=True)) == ["one.jpg", "two.heic"]
    # The test settings run tasks at once, as the worker would.
    assert set(gallery.photos.values_list("status", flat=True)) == {Photo.Status.READY}
    messages = [str(m) for m in response.context["messages"]]
    assert "2 photos uploaded; processing in the background." in messages
    assert any(m.startswith("notes.txt: This file is not an image") for m in messages)


def test_the_drag_and_drop_uploader_gets_json_per_file(organizer_client):
    gallery = make_gallery()
    content = unique_jpeg()
    url = f"/admin/galleries/gallery/{gallery.pk}/upload/"

    first = organizer_client.post(url, {"photos": _files(("a.jpg", content))}, headers={"Accept": "application/json"})
    again = organizer_client.post(url, {"photos": _files(("b.jpg", content))}, headers={"Accept": "application/json"})

    assert first.status_code == 200
    assert first.json()["results"][0] | {"key": None} == {
        "name": "a.jpg",
        "ok": True,
        "key": None,
        "message": "Uploaded; processing.",
    }
    assert again.status_code == 400
    assert again.json()["results"][0]["message"] == "Already in this gallery (as a.jpg)."
    assert gallery.photos.count() == 1


def test_an_upload_without_files_says_so(organizer_client):
    gallery = make_gallery()

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/upload/", {}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert json.loads(response.content)["results"][0]["message"] == "Choose at least one photo."


def test_guests_cannot_upload(client, db):
    gallery = make_gallery()

    response = client.post(
        f"/admin/galleries/gallery/{gallery.pk}/upload/", {"photos": _files(("a.jpg", unique_jpeg()))}
    )

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not gallery.photos.exists()


def test_every_odd_file_is_processed_or_refused_with_a_clear_message(
    organizer_client, django_capture_on_commit_callbacks
):
    gallery = make_gallery()
    good = jpeg_bytes(width=1200, height=900, color=(10, 120, 200))
    files = _files(
        ("cmyk.jpg", cmyk_jpeg_bytes()),
        ("scan-16bit.png", png16_bytes()),
        ("logo.png", rgba_png_bytes()),
        ("iphone.heic", heic_bytes(orientation=6)),
        ("notes.txt", b"not a photo"),
        ("empty.jpg", b""),
        ("cut.jpg", good[: len(good) // 2]),
        ("huge.png", huge_png_bytes()),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            f"/admin/galleries/gallery/{gallery.pk}/upload/", {"photos": files}, follow=True
        )

    processed = dict(gallery.photos.values_list("original_filename", "status"))
    assert processed == {name: Photo.Status.READY for name in ["cmyk.jpg", "scan-16bit.png", "logo.png", "iphone.heic"]}
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "4 photos uploaded; processing in the background."
    assert messages[1].startswith("notes.txt: This file is not an image Eventgallery can read")
    assert messages[2] == "empty.jpg: The file is empty."
    assert messages[3].startswith("cut.jpg: The file is damaged or incomplete")
    assert messages[4] == "huge.png: This image is too large: 400 megapixels, at most 150."
