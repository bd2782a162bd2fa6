"""The admin's queue of guests' photos (Photos, "Review: waiting for approval"): previews,
approve or reject in bulk, each organizer their own galleries' only."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.test import Client

from galleries.models import Gallery, Photo
from galleries.services.photos import photo_create
from galleries.services.processing import photo_process
from galleries.tests.factories import make_gallery, make_organizer, make_user, unique_jpeg, upload_photo

QUEUE = "/admin/galleries/photo/?review__exact=pending"


def _guest_photo(gallery, name="guest.jpg", review=Photo.Review.PENDING) -> Photo:
    photo = photo_create(
        gallery=gallery, upload=ContentFile(unique_jpeg(), name=name), filename=name, review=review, guest_name="Ann"
    )
    return photo_process(photo_id=photo.pk)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _act(client, action, photos):
    return client.post("/admin/galleries/photo/", {"action": action, "_selected_action": [p.pk for p in photos]})


@pytest.fixture
def two_organizers(db):
    owner, other = make_organizer(), make_organizer()
    mine = make_gallery(owner=owner, guest_uploads=Gallery.GuestUploads.APPROVAL)
    theirs = make_gallery(owner=other, guest_uploads=Gallery.GuestUploads.APPROVAL)
    return owner, other, _guest_photo(mine, "mine.jpg"), _guest_photo(theirs, "theirs.jpg")


def test_the_queue_shows_an_organizer_their_galleries_pending_photos_with_previews(two_organizers):
    owner, _, mine, theirs = two_organizers

    page = _client(owner).get(QUEUE)

    assert page.status_code == 200
    assert "mine.jpg" in page.text and f"/photos/{mine.key}/thumb" in page.text and "Ann" in page.text
    assert "theirs.jpg" not in page.text and str(theirs.key) not in page.text


def test_the_gallery_page_in_the_admin_links_to_the_queue(two_organizers):
    owner, _, mine, _ = two_organizers

    page = _client(owner).get(f"/admin/galleries/gallery/{mine.gallery_id}/change/")

    assert "1 guest photo waiting for your approval" in page.text
    assert f"gallery__id__exact={mine.gallery_id}&amp;review__exact=pending" in page.text


def test_an_organizer_approves_and_rejects_in_bulk(two_organizers, django_capture_on_commit_callbacks):
    owner, _, mine, _ = two_organizers
    second, third = _guest_photo(mine.gallery, "second.jpg"), _guest_photo(mine.gallery, "third.jpg")
    client = _client(owner)
    third_files = [Path(django_settings.MEDIA_ROOT) / name for name in third.stored_names]

    approved = _act(client, "approve_guest_photos", [mine, second])
    with django_capture_on_commit_callbacks(execute=True):
        rejected = _act(client, "reject_guest_photos", [third])

    assert approved.status_code == rejected.status_code == 302
    assert set(mine.gallery.photos.values_list("original_filename", "review")) == {
        ("mine.jpg", Photo.Review.SHOWN),
        ("second.jpg", Photo.Review.SHOWN),
    }
    assert len(third_files) == 4 and not any(path.exists() for path in third_files)
    messages = [str(m) for m in client.get(QUEUE).context["messages"]]
    assert messages == [
        "2 guest photo(s) approved: guests see them once processed.",
        "1 guest photo(s) rejected and deleted.",
    ]


def test_another_organizers_photos_are_left_alone_whatever_ids_are_sent(two_organizers):
    owner, other, mine, theirs = two_organizers

    _act(_client(owner), "approve_guest_photos", [theirs])
    _act(_client(owner), "reject_guest_photos", [theirs])
    forged = _client(owner).post(
        "/admin/galleries/photo/", {"action": "reject_guest_photos", "_selected_action": ["x", "99999"]}
    )

    theirs.refresh_from_db()
    assert theirs.review == Photo.Review.PENDING
    assert forged.status_code == 302
    assert [str(m) for m in forged.wsgi_request._messages] == [
        "Nothing was done: the rows chosen are not rows of this list."
    ]
    assert Photo.objects.filter(pk=mine.pk).exists()
    assert _client(other).get(QUEUE).text.count("theirs.jpg") >= 1


def test_a_superuser_moderates_every_gallery(two_organizers):
    _, _, mine, theirs = two_organizers
    client = _client(make_user(superuser=True))

    page = client.get(QUEUE)
    _act(client, "approve_guest_photos", [mine, theirs])

    assert "mine.jpg" in page.text and "theirs.jpg" in page.text
    assert set(Photo.objects.values_list("review", flat=True)) == {Photo.Review.SHOWN}


def test_only_held_back_guest_photos_are_approved_or_rejected(two_organizers):
    owner, _, mine, _ = two_organizers
    organizers = upload_photo(mine.gallery, filename="organizers.jpg")
    client = _client(owner)

    _act(client, "reject_guest_photos", [organizers])
    response = client.get(QUEUE)

    assert Photo.objects.filter(pk=organizers.pk).exists()
    assert "1 already shown or not from a guest left as they were" in " ".join(
        str(m) for m in response.context["messages"]
    )


def test_the_drop_box_photos_are_listed_for_the_organizer(two_organizers):
    owner, _, mine, _ = two_organizers
    _guest_photo(mine.gallery, "dropped.jpg", review=Photo.Review.DROP_BOX)

    page = _client(owner).get("/admin/galleries/photo/?review__exact=drop_box")

    assert "dropped.jpg" in page.text and "mine.jpg" not in page.text
