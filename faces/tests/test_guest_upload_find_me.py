"""The whole path of a guest's photo in a gallery with approval: uploaded from the
guest page, processed at once (the organizer's queue has its preview) but neither shown
nor indexed for Find me, approved in the admin, then on the gallery page and found by
a selfie of someone in it (the real local engine on a real group photo)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from faces.models import PhotoFaces
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import each_photo_indexed_once, face_search_gallery, find_me_url, jpeg, selfie_file
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_organizer

CENTRE = GROUP_PHOTO_FACE_CENTRES[2]


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _find_me(gallery) -> str:
    client = Client()
    session = client.session
    session["find_me_consent"] = True
    session.save()
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)
    return client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True).text


def test_a_guests_photo_is_shown_and_found_only_once_approved(db, django_capture_on_commit_callbacks):
    owner = make_organizer()
    gallery = face_search_gallery(owner=owner, guest_uploads=Gallery.GuestUploads.APPROVAL)
    guest = Client()
    group = SimpleUploadedFile("IMG_2001.jpg", jpeg(face_images.group_photo()), content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        sent = guest.post(f"/g/{gallery.slug}/upload/", {"name": "Ann", "photos": [group]})
    photo = gallery.photos.get()

    assert sent.status_code == 302
    assert (photo.status, photo.review) == (Photo.Status.READY, Photo.Review.PENDING)
    assert not PhotoFaces.objects.filter(photo=photo).exists()
    page = guest.get(f"/g/{gallery.slug}/").text
    assert str(photo.key) not in page and "No photos here yet" in page
    assert "We did not find you in the photos of" in _find_me(gallery)

    admin = Client()
    admin.force_login(owner)
    queue = admin.get("/admin/galleries/photo/?review__exact=pending")
    assert "IMG_2001.jpg" in queue.text and f"/photos/{photo.key}/thumb" in queue.text
    assert admin.get(f"/photos/{photo.key}/thumb").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        approved = admin.post(
            "/admin/galleries/photo/",
            {"action": "approve_guest_photos", "_selected_action": [photo.pk]},
        )

    assert approved.status_code == 302
    photo.refresh_from_db()
    assert photo.review == Photo.Review.SHOWN
    assert PhotoFaces.objects.get(photo=photo).status == PhotoFaces.Status.INDEXED
    # The page was cached before the approval: its key moved with the gallery's updated_at.
    page = guest.get(f"/g/{gallery.slug}/").text
    assert str(photo.key) in page and "added by Ann" in page
    results = _find_me(gallery)
    assert f'data-photo="{photo.key}"' in results
    assert "Added by Ann" in guest.get(f"/g/{gallery.slug}/p/{photo.key}/").text
