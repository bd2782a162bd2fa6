"""The slideshow's JSON (/g/<slug>/slideshow/photos): the photos ready since a cursor,
an ETag that makes an unchanged gallery's poll a 304, and the gallery page's access."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from galleries import slideshow
from galleries.files import photo_view_url as file_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import bulk_ready_photos, make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db


def _url(gallery, after=None):
    url = f"/g/{gallery.slug}/slideshow/photos"
    return url if after is None else f"{url}?after={after}"


def _keys(response) -> list[str]:
    return [photo["key"] for photo in response.json()["photos"]]


@pytest.fixture
def owner():
    return make_user(staff=True)


@pytest.fixture
def gallery(owner):
    return make_gallery(owner=owner)


def test_it_lists_the_ready_photos_with_their_display_image_and_a_cursor(client, gallery):
    photo = upload_photo(gallery)
    upload_photo(gallery, filename="pending.jpg", process=False)

    response = client.get(_url(gallery))

    assert response.status_code == 200
    answer = response.json()
    assert answer["photos"] == [
        {
            "key": str(photo.key),
            "src": f"{file_url(photo, 'display')}",
            "srcset": f"{file_url(photo, 'display')} {answer['photos'][0]['width']}w",
            "width": answer["photos"][0]["width"],
            "height": answer["photos"][0]["height"],
            "alt": gallery.name,
        }
    ]
    assert slideshow.cursor_parse(answer["cursor"]) == Photo.objects.get(pk=photo.pk).processed_at


def test_a_slide_says_what_it_shows_and_who_added_it(client, gallery):
    gallery.name, gallery.event_date = "Summer party", timezone.datetime(2026, 6, 1).date()
    gallery.save()
    photo = upload_photo(gallery)
    Photo.objects.filter(pk=photo.pk).update(guest_name="Ann")

    [slide] = client.get(_url(gallery)).json()["photos"]

    assert slide["alt"] == "Summer party, 1 June 2026, added by Ann"


def test_it_gives_the_photos_processed_since_the_cursor_and_not_long_before(client, gallery):
    long_before = upload_photo(gallery, filename="long-before.jpg")
    at_the_cursor = upload_photo(gallery, filename="at-the-cursor.jpg")
    Photo.objects.filter(pk=long_before.pk).update(processed_at=timezone.now() - timedelta(hours=1))
    Photo.objects.filter(pk=at_the_cursor.pk).update(processed_at=timezone.now() - timedelta(seconds=5))
    cursor = client.get(_url(gallery)).json()["cursor"]

    new = upload_photo(gallery, filename="new.jpg")
    response = client.get(_url(gallery, cursor))

    # The photos processed a little before the cursor come again (a worker's commit may
    # land late); the page knows them by key.
    assert set(_keys(response)) == {str(at_the_cursor.key), str(new.key)}
    assert slideshow.cursor_parse(response.json()["cursor"]) > slideshow.cursor_parse(cursor)


def test_it_answers_an_unchanged_gallery_with_304_and_a_changed_one_with_the_news(client, gallery):
    upload_photo(gallery)
    first = client.get(_url(gallery))
    cursor, etag = first.json()["cursor"], first["ETag"]
    polled = client.get(_url(gallery, cursor))

    unchanged = client.get(_url(gallery, cursor), headers={"If-None-Match": polled["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == polled["ETag"]
    assert "no-cache" in unchanged["Cache-Control"] and "private" in unchanged["Cache-Control"]

    new = upload_photo(gallery, filename="new.jpg")
    changed = client.get(_url(gallery, cursor), headers={"If-None-Match": polled["ETag"]})
    assert changed.status_code == 200
    assert str(new.key) in _keys(changed)
    assert changed["ETag"] not in (polled["ETag"], etag)


def test_a_304_costs_the_gallery_row_only(client, gallery, django_assert_num_queries):
    bulk_ready_photos(gallery, 30)
    etag = client.get(_url(gallery, "0"))["ETag"]
    with django_assert_num_queries(1):
        assert client.get(_url(gallery, "0"), headers={"If-None-Match": etag}).status_code == 304


def test_it_never_sends_more_than_its_limit(client, gallery, monkeypatch):
    monkeypatch.setattr(slideshow, "MAX_PHOTOS", 5)
    photos = bulk_ready_photos(gallery, 8)
    for minutes, photo in enumerate(photos):
        Photo.objects.filter(pk=photo.pk).update(processed_at=timezone.now() - timedelta(minutes=60 - minutes))

    keys = _keys(client.get(_url(gallery)))

    # The most recently processed, in the gallery's order.
    ordered = Photo.objects.filter(pk__in=[p.pk for p in photos[-5:]]).in_display_order()
    assert keys == [str(photo.key) for photo in ordered]


def test_a_cursor_that_is_not_one_gives_the_whole_list(client, gallery):
    photo = upload_photo(gallery)
    for forged in ("abc", "-5", "9" * 30, ""):
        assert _keys(client.get(_url(gallery, forged))) == [str(photo.key)]


def test_it_is_closed_to_guests_of_a_closed_gallery_and_open_to_its_owner(client, owner):
    gallery = make_gallery(owner=owner, closes_at=timezone.now() - timedelta(minutes=1))
    photo = upload_photo(gallery)

    gone = client.get(_url(gallery, "0"))
    assert gone.status_code == 410
    assert gone.json() == {"error": "closed"}

    client.force_login(owner)
    assert _keys(client.get(_url(gallery, "0"))) == [str(photo.key)]


def test_a_draft_is_not_found_by_guests_and_shown_to_its_managers(owner):
    draft = make_gallery(owner=owner, is_published=False)
    photo = upload_photo(draft)

    assert Client().get(_url(draft)).status_code == 404
    other = Client()
    other.force_login(make_user(staff=True))
    assert other.get(_url(draft)).status_code == 404
    for manager in (owner, make_user(superuser=True)):
        signed_in = Client()
        signed_in.force_login(manager)
        assert _keys(signed_in.get(_url(draft))) == [str(photo.key)]


def test_a_private_gallery_asks_for_its_code_first(client, owner):
    private = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE)
    photo = upload_photo(private)

    locked = client.get(_url(private))
    assert locked.status_code == 403
    assert str(photo.key) not in locked.content.decode()

    client.post(f"/g/{private.slug}/access/", {"code": "letmein"})
    assert _keys(client.get(_url(private))) == [str(photo.key)]
