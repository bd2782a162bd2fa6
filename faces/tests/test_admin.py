"""Find me in the admin: the switch, progress, face crops and indexing again."""

import pytest

from faces.models import Face, PhotoFaces
from faces.tests import face_images
from faces.tests.find_me import add_photos, face_search_gallery, jpeg
from galleries.files import photo_view_url as file_url
from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db(transaction=True)


def _change_data(gallery, **changes):
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "description": "",
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "is_published": "on",
    }
    if gallery.face_search_enabled:
        data["face_search_enabled"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_switching_find_me_on_indexes_the_gallerys_photos(organizer_client):
    gallery = make_gallery(name="Wedding")
    photo = upload_photo(gallery, content=jpeg(face_images.group_photo()))

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _change_data(gallery, face_search_enabled="on"), follow=True
    )

    assert "Find me is on: 1 photo(s) queued for face indexing." in response.text
    assert PhotoFaces.objects.get(photo=photo).status == "indexed"
    assert photo.faces.count() == 6
    page = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")
    assert "1 photo indexed" in page.text
    assert "6 faces of 6 people" in page.text
    listing = organizer_client.get("/admin/galleries/gallery/")
    assert "1/1 indexed" in listing.text


def test_the_gallery_list_counts_only_the_photos_find_me_indexes(organizer_client, django_capture_on_commit_callbacks):
    gallery = face_search_gallery(name="Party")
    group = face_images.group_photo()
    photos = [group, group.crop((0, 0, 900, 886)), group.crop((380, 0, 1280, 886))]
    shown, waiting, hidden = add_photos(gallery, photos, django_capture_on_commit_callbacks)
    # A guest's upload waiting for approval and a photo hidden at a guest's request are
    # ready but never indexed: they are not "2 to go".
    Photo.objects.filter(pk=waiting.pk).update(review=Photo.Review.PENDING, uploaded_by_guest=True)
    Photo.objects.filter(pk=hidden.pk).update(hidden=True)
    PhotoFaces.objects.filter(photo__in=[waiting, hidden]).delete()

    listing = organizer_client.get("/admin/galleries/gallery/")

    assert "1/1 indexed" in listing.text


def test_switching_find_me_off_deletes_the_face_data(organizer_client, django_capture_on_commit_callbacks):
    gallery = face_search_gallery(name="Race")
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _change_data(gallery, face_search_enabled=None), follow=True
    )

    assert "Find me is off: the gallery&#x27;s face data was deleted." in response.text
    assert not Face.objects.exists()
    assert not PhotoFaces.objects.exists()


def test_a_photo_page_shows_its_faces_cut_out(organizer_client, django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)

    response = organizer_client.get(f"/admin/galleries/photo/{photo.pk}/change/")

    assert response.text.count(f"url('{file_url(photo, 'display')}')") == 6


def test_failed_photos_are_listed_with_the_reason_and_indexed_again(
    organizer_client, django_capture_on_commit_callbacks
):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    PhotoFaces.objects.filter(photo=photo).update(status="failed", error="Face search is unavailable right now.")

    listing = organizer_client.get("/admin/faces/photofaces/", {"status__exact": "failed"})
    assert "Face search is unavailable right now." in listing.text

    response = organizer_client.post(
        "/admin/faces/photofaces/", {"action": "index_again", "_selected_action": [photo.pk]}, follow=True
    )
    assert "1 photo(s) queued for face indexing." in response.text
    assert PhotoFaces.objects.get(photo=photo).status == "indexed"


def test_the_reindex_action_indexes_every_photo_again(organizer_client, django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    before = set(photo.faces.values_list("pk", flat=True))

    response = organizer_client.post(
        "/admin/galleries/gallery/", {"action": "reindex_faces", "_selected_action": [gallery.pk]}, follow=True
    )

    assert "1 photo(s) queued for face indexing." in response.text
    after = set(photo.faces.values_list("pk", flat=True))
    assert len(after) == 6 and not before & after
