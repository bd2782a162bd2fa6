"""GET /g/<slug>/favourites/state: the device's hearts for the gallery page's script,
which keeps the gallery page the same cached page for everyone."""

from django.test import Client

from favourites.tests.conftest import heart
from galleries.models import GalleryVisit
from ops.ratelimits import DEVICE_COOKIE


def test_it_lists_the_devices_hearts_and_is_never_cached(client, photos, settings):
    settings.FAVOURITES_PER_GALLERY = 77
    heart(client, photos[2])
    heart(client, photos[0])
    response = client.get("/g/anna-ben/favourites/state")
    assert response.status_code == 200
    assert response.json() == {"photos": [str(photos[2].key), str(photos[0].key)], "limit": 77}
    assert response["Cache-Control"] == "private, no-store"


def test_it_leaves_out_a_photo_no_longer_shown(client, photos, gallery):
    heart(client, photos[0])
    heart(client, photos[1])
    gallery.photos.filter(pk=photos[0].pk).update(status="processing")
    assert client.get("/g/anna-ben/favourites/state").json()["photos"] == [str(photos[1].key)]


def test_a_new_device_gets_its_cookie_and_the_csrf_cookie(photos):
    response = Client().get("/g/anna-ben/favourites/state")
    assert response.json()["photos"] == []
    assert DEVICE_COOKIE in response.cookies
    assert "csrftoken" in response.cookies


def test_the_gallery_page_stays_one_cached_page_without_a_token_or_hearts(client, photos):
    heart(client, photos[0])
    first = client.get("/g/anna-ben/")
    assert b"csrfmiddlewaretoken" not in first.content
    assert b'<button type="button" class="tile-heart" aria-pressed="false" aria-label="Add to favourites" hidden>' in (
        first.content
    )
    assert b"data-favourites-state=" in first.content
    # Another device gets the very same bytes: nothing of the first device is in them.
    assert Client().get("/g/anna-ben/").content == first.content


def test_it_counts_the_devices_view_once_a_day(client, photos):
    for _ in range(3):
        client.get("/g/anna-ben/favourites/state")
    Client().get("/g/anna-ben/favourites/state")
    assert GalleryVisit.objects.count() == 2
