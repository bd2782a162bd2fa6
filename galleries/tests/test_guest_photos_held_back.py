"""A guest's photo waiting for approval or in the drop box never reaches a guest: not on
the gallery page (cached), the photo page, the file view, the slideshow, Download all
or the JSON API (Find me: faces/tests/test_guest_upload_find_me.py). One rule decides:
Photo.objects.guest_visible()."""

import io
import itertools
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from galleries.models import Gallery, Photo, guest_visible_q
from galleries.services.guest_uploads import guest_photos_approve
from galleries.services.photos import photo_create
from galleries.services.processing import photo_process
from galleries.tests.factories import make_gallery, make_organizer, unique_jpeg, upload_photo


def _guest_photo(gallery, review, name) -> Photo:
    photo = photo_create(
        gallery=gallery, upload=ContentFile(unique_jpeg(), name=name), filename=name, review=review, guest_name="Ann"
    )
    return photo_process(photo_id=photo.pk)


@pytest.fixture
def gallery_with_held_back_photos(db):
    owner = make_organizer()
    gallery = make_gallery(owner=owner, guest_uploads=Gallery.GuestUploads.APPROVAL)
    shown = upload_photo(gallery, filename="organizers.jpg")
    pending = _guest_photo(gallery, Photo.Review.PENDING, "pending.jpg")
    dropped = _guest_photo(gallery, Photo.Review.DROP_BOX, "dropped.jpg")
    return gallery, shown, [pending, dropped], owner


def _seen_by_guest(gallery, photo, client) -> dict[str, bool]:
    key = str(photo.key)
    with zipfile.ZipFile(io.BytesIO(b"".join(client.get(f"/g/{gallery.slug}/download/").streaming_content))) as z:
        zipped = photo.original_filename in z.namelist()
    return {
        "page": key in client.get(f"/g/{gallery.slug}/").text,
        "tiles": key in client.get(f"/g/{gallery.slug}/?fragment=1").text,
        "photo page": client.get(f"/g/{gallery.slug}/p/{key}/").status_code == 200,
        "thumbnail": client.get(f"/photos/{key}/thumb").status_code == 200,
        "original": client.get(f"/photos/{key}/original").status_code == 200,
        "slideshow": key in client.get(f"/g/{gallery.slug}/slideshow/photos").text,
        "zip": zipped,
        "api": key in client.get(f"/api/gallery/{gallery.pk}/photos").text,
    }


def test_guests_see_the_organizers_photo_and_none_held_back(gallery_with_held_back_photos):
    gallery, shown, held_back, _ = gallery_with_held_back_photos
    guest = Client()

    assert set(_seen_by_guest(gallery, shown, guest).values()) == {True}
    for photo in held_back:
        assert _seen_by_guest(gallery, photo, guest) == dict.fromkeys(_seen_by_guest(gallery, shown, guest), False)


def test_the_organizer_sees_held_back_photos_files_to_review_them(gallery_with_held_back_photos):
    gallery, _, held_back, owner = gallery_with_held_back_photos
    client = Client()
    client.force_login(owner)

    for photo in held_back:
        assert client.get(f"/photos/{photo.key}/thumb").status_code == 200
        assert client.get(f"/photos/{photo.key}/display").status_code == 200
        # The gallery page is what guests see, for its organizer too.
        assert str(photo.key) not in client.get(f"/g/{gallery.slug}/").text


def test_approving_shows_a_photo_on_the_cached_page_at_once(gallery_with_held_back_photos):
    gallery, _, (pending, dropped), _ = gallery_with_held_back_photos
    guest = Client()
    assert str(pending.key) not in guest.get(f"/g/{gallery.slug}/").text  # now cached

    assert guest_photos_approve(photos=[pending, dropped]) == 2

    page = guest.get(f"/g/{gallery.slug}/").text
    assert str(pending.key) in page and str(dropped.key) in page


def test_the_rule_for_one_photo_is_the_rule_for_the_query(db):
    gallery = make_gallery()
    photos = []
    for status, review in itertools.product(Photo.Status.values, Photo.Review.values):
        photo = upload_photo(gallery, process=False)
        Photo.objects.filter(pk=photo.pk).update(status=status, review=review, uploaded_by_guest=True)
        photos.append(Photo.objects.get(pk=photo.pk))

    shown = set(Photo.objects.filter(guest_visible_q()).values_list("pk", flat=True))

    assert {photo.pk for photo in photos if photo.is_guest_visible} == shown
    assert set(gallery.photos.guest_visible().values_list("pk", flat=True)) == shown
    assert len(shown) == 1
