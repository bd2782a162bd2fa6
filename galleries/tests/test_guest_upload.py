"""/g/<slug>/upload/: guests add their photos, one file per request from the page's
script (JSON) or all at once from the plain form; the gallery's mode says who sees them;
bad files, closed or locked galleries and limits get a clear message and leave nothing."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, unique_jpeg
from galleries.tests.images import heic_bytes, jpeg_bytes

JSON = {"Accept": "application/json"}
Mode = Gallery.GuestUploads


def _url(gallery) -> str:
    return f"/g/{gallery.slug}/upload/"


def _file(name="IMG_0001.jpg", content=None):
    return SimpleUploadedFile(name, unique_jpeg() if content is None else content, content_type="image/jpeg")


def _send(client, gallery, *files, name="", **extra):
    return client.post(_url(gallery), {"name": name, "photos": list(files) or [_file()]}, **extra)


def _stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _nothing_left(gallery):
    assert not gallery.photos.exists()
    assert _stored_files() == []


@pytest.mark.parametrize(
    ("mode", "review", "message"),
    [
        (Mode.OPEN, Photo.Review.SHOWN, "Uploaded: it appears in the gallery in a moment."),
        (Mode.APPROVAL, Photo.Review.PENDING, "Uploaded: it appears in the gallery once the organizer approves it."),
        (Mode.DROP_BOX, Photo.Review.DROP_BOX, "Sent to the organizer."),
    ],
)
def test_it_takes_a_guests_photo_as_the_gallerys_mode_says(
    client, db, django_capture_on_commit_callbacks, mode, review, message
):
    gallery = make_gallery(guest_uploads=mode)

    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, gallery, _file("party.jpg"), name="  Ann   Lee ", headers=JSON)

    assert response.status_code == 201
    assert response.json() == {"results": [{"name": "party.jpg", "ok": True, "message": message}]}
    photo = gallery.photos.get()
    # The test settings process at once, as the worker does: the organizer's queue has previews.
    assert (photo.status, photo.review, photo.uploaded_by_guest, photo.guest_name) == (
        Photo.Status.READY,
        review,
        True,
        "Ann Lee",
    )
    assert photo.is_guest_visible == (mode == Mode.OPEN)


def test_the_gallery_page_leads_to_the_upload_page_which_has_a_phone_friendly_form(client, db):
    gallery = make_gallery(guest_uploads=Mode.APPROVAL)

    page = client.get(f"/g/{gallery.slug}/")
    upload_page = client.get(_url(gallery))

    assert f'href="{_url(gallery)}"' in page.text
    assert upload_page.status_code == 200
    assert 'type="file" name="photos"' in upload_page.text
    assert "multiple" in upload_page.text and 'accept="image/*,.heic,.heif"' in upload_page.text
    assert 'enctype="multipart/form-data"' in upload_page.text
    assert "once the organizers approve them" in upload_page.text
    assert "guest-upload.js" in upload_page.text


def test_without_javascript_every_file_is_sent_at_once_and_each_gets_a_message(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN)

    response = _send(
        client,
        gallery,
        _file("one.jpg"),
        _file("notes.txt", b"shopping list"),
        _file("two.heic", heic_bytes(color=(9, 99, 199))),
        follow=True,
    )

    assert response.redirect_chain == [(_url(gallery), 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert "one.jpg: Uploaded: it appears in the gallery in a moment." in messages
    assert "two.heic: Uploaded: it appears in the gallery in a moment." in messages
    assert any(m.startswith("notes.txt: This file is not an image") for m in messages)
    assert sorted(gallery.photos.values_list("original_filename", flat=True)) == ["one.jpg", "two.heic"]


def test_the_uploaders_name_is_remembered_on_the_device(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN)

    _send(client, gallery, name="Zoë Müller", headers=JSON)
    page = client.get(_url(gallery))
    _send(client, gallery, name="", headers=JSON)
    forgotten = client.get(_url(gallery))

    assert 'value="Zoë Müller"' in page.text
    assert "Zoë Müller" not in forgotten.text
    assert sorted(gallery.photos.values_list("guest_name", flat=True)) == ["", "Zoë Müller"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"%PDF-1.4 not a photo", "This file is not an image"),
        (jpeg_bytes()[:400], "damaged"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_leaves_nothing(client, db, content, message):
    gallery = make_gallery(guest_uploads=Mode.OPEN)

    response = _send(client, gallery, _file("bad.jpg", content), headers=JSON)

    assert response.status_code == 400
    result = response.json()["results"][0]
    assert result["ok"] is False and message in result["message"]
    _nothing_left(gallery)


def test_a_file_over_the_organizers_limit_is_refused(client, db, settings):
    settings.PHOTO_MAX_UPLOAD_MB = 1
    gallery = make_gallery(guest_uploads=Mode.OPEN)

    response = _send(client, gallery, _file("huge.jpg", jpeg_bytes() + bytes(1024 * 1024)), headers=JSON)

    assert response.status_code == 400
    assert response.json()["results"][0]["message"] == "The file is 1 MB; the limit is 1 MB."
    _nothing_left(gallery)


def test_sending_no_file_asks_for_one(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN)

    response = client.post(_url(gallery), {"name": "Ann"}, headers=JSON)

    assert response.status_code == 400
    assert response.json()["results"][0]["message"] == "Choose at least one photo."


def test_the_same_file_sent_again_after_a_lost_answer_is_in_once(client, db):
    gallery = make_gallery(guest_uploads=Mode.APPROVAL)
    content = unique_jpeg()

    first = _send(client, gallery, _file("a.jpg", content), headers=JSON)
    again = _send(client, gallery, _file("a.jpg", content), headers=JSON)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["results"][0] == first.json()["results"][0]
    assert gallery.photos.count() == 1


@pytest.mark.parametrize("mode", [Mode.DROP_BOX, Mode.APPROVAL])
def test_another_guests_file_sent_again_is_answered_as_a_new_one_and_stored_once(db, mode, settings):
    # The first guest's photo is in the drop box (or waiting): the second guest, who
    # cannot see it, learns nothing of it, and nothing is stored twice.
    gallery = make_gallery(guest_uploads=mode)
    content = unique_jpeg()
    first_guest, second_guest = Client(), Client()
    new = _send(second_guest, gallery, _file("new.jpg", unique_jpeg()), headers=JSON)
    _send(first_guest, gallery, _file("party.jpg", content), headers=JSON)
    files_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))

    same = _send(second_guest, gallery, _file("party.jpg", content), headers=JSON)
    plain = _send(second_guest, gallery, _file("party.jpg", content), follow=True)

    assert (same.status_code, same.json()["results"][0]["message"]) == (201, new.json()["results"][0]["message"])
    assert "Already" not in plain.text and "already" not in same.text
    assert gallery.photos.count() == 2
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files_before


def test_a_gallery_that_takes_no_guests_photos_says_so(client, db):
    gallery = make_gallery()

    page = client.get(_url(gallery))
    sent = _send(client, gallery, headers=JSON)

    assert page.status_code == 403 and "does not take guests' photos" in page.text
    assert f'href="/g/{gallery.slug}/upload/"' not in client.get(f"/g/{gallery.slug}/").text
    assert sent.status_code == 403
    assert sent.json()["results"][0]["message"] == "This gallery does not take guests' photos."
    _nothing_left(gallery)


def test_a_closed_gallery_takes_no_more_photos(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN, closes_at=timezone.now() - timedelta(minutes=1))

    response = _send(client, gallery)

    assert response.status_code == 410
    assert "closed" in response.text
    _nothing_left(gallery)


def test_a_private_gallery_asks_for_its_code_first(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN, visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")

    refused = _send(client, gallery)
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})
    taken = _send(client, gallery, headers=JSON)

    assert refused.status_code == 302 and refused["Location"] == f"/g/{gallery.slug}/access/"
    assert taken.status_code == 201
    assert gallery.photos.count() == 1


def test_a_draft_is_not_found(client, db):
    gallery = make_gallery(guest_uploads=Mode.OPEN, is_published=False)

    assert client.get(_url(gallery)).status_code == 404
    assert _send(client, gallery).status_code == 404
    _nothing_left(gallery)


def test_a_device_is_held_after_its_limit_with_a_clear_message(db, settings):
    settings.GUEST_UPLOADS_PER_DEVICE = 2
    gallery = make_gallery(guest_uploads=Mode.OPEN)
    phone = Client()

    statuses = [_send(phone, gallery, headers=JSON).status_code for _ in range(3)]
    held = _send(phone, gallery, headers=JSON)

    assert statuses == [201, 201, 429]
    assert held.status_code == 429
    assert 0 < int(held["Retry-After"]) <= settings.GUEST_UPLOAD_WINDOW_S
    result = held.json()["results"][0]
    assert result["message"].startswith("You have sent many photos in a short time. Please try again in about")
    assert result["retry"] is True
    assert gallery.photos.count() == 2
    # Another phone on the same Wi-Fi is not held by this one.
    assert _send(Client(), gallery, headers=JSON).status_code == 201


def test_an_address_and_a_gallery_are_held_after_theirs(db, settings):
    settings.GUEST_UPLOADS_PER_ADDRESS = 2
    settings.GUEST_UPLOADS_PER_GALLERY = 3
    gallery = make_gallery(guest_uploads=Mode.OPEN)
    other = make_gallery(guest_uploads=Mode.OPEN)

    same_address = [_send(Client(), gallery, headers=JSON) for _ in range(3)]
    elsewhere = [_send(Client(REMOTE_ADDR=f"198.51.100.{n}"), gallery, headers=JSON) for n in range(1, 3)]

    assert [r.status_code for r in same_address] == [201, 201, 429]
    assert "from your network" in same_address[-1].json()["results"][0]["message"]
    assert [r.status_code for r in elsewhere] == [201, 429]
    assert "This gallery has received many photos" in elsewhere[-1].json()["results"][0]["message"]
    assert gallery.photos.count() == 3
    assert _send(Client(REMOTE_ADDR="203.0.113.9"), other, headers=JSON).status_code == 201


def test_a_retry_of_a_photo_that_is_in_uses_up_no_limit(db, settings):
    settings.GUEST_UPLOADS_PER_DEVICE = 2
    gallery = make_gallery(guest_uploads=Mode.OPEN)
    phone = Client()
    content = unique_jpeg()

    statuses = [_send(phone, gallery, _file("a.jpg", content), headers=JSON).status_code for _ in range(4)]

    assert statuses == [201] * 4
    assert _send(phone, gallery, headers=JSON).status_code == 201
