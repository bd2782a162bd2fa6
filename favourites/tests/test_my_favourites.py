"""GET /g/<slug>/favourites/: the photos this device hearted, to see, remove and download."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from favourites.tests.conftest import heart
from galleries.models import Gallery
from galleries.tests.factories import bulk_ready_photos


def test_it_shows_this_devices_hearts_only(client, photos):
    heart(client, photos[0])
    heart(client, photos[2])
    heart(Client(), photos[1])
    response = client.get("/g/anna-ben/favourites/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 photos hearted on this device" in body
    assert str(photos[0].key) in body and str(photos[2].key) in body
    assert str(photos[1].key) not in body
    assert "Download my favourites" in body
    assert response["Cache-Control"] == "private, no-store"


def test_without_hearts_it_says_how_to_make_some(client, photos):
    body = client.get("/g/anna-ben/favourites/").content.decode()
    assert "No favourites yet" in body
    assert "Download my favourites" not in body


def test_a_heart_removed_there_without_javascript_comes_back_to_it(client, photos):
    heart(client, photos[0])
    page = client.get("/g/anna-ben/favourites/").content.decode()
    assert 'name="next" value="/g/anna-ben/favourites/"' in page
    response = client.post(
        f"/g/anna-ben/favourites/{photos[0].key}/", {"favourite": "0", "next": "/g/anna-ben/favourites/"}
    )
    assert response["Location"] == "/g/anna-ben/favourites/"
    assert "No favourites yet" in client.get("/g/anna-ben/favourites/").content.decode()


def test_without_downloads_it_offers_none(client, photos, gallery):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.NONE)
    heart(client, photos[0])
    assert "Download my favourites" not in client.get("/g/anna-ben/favourites/").content.decode()


def test_its_queries_do_not_grow_with_the_hearts(client, gallery, settings):
    settings.FAVOURITES_PER_GALLERY = 1000
    many = bulk_ready_photos(gallery, 120)
    heart(client, many[0])
    client.get("/g/anna-ben/favourites/")  # the view of the day is counted once, before
    with CaptureQueriesContext(connection) as one:
        assert client.get("/g/anna-ben/favourites/").status_code == 200
    for photo in many[1:]:
        heart(client, photo)
    with CaptureQueriesContext(connection) as many_hearts:
        response = client.get("/g/anna-ben/favourites/")
    assert "120 photos hearted" in response.content.decode()
    assert len(many_hearts) == len(one) <= 6, [q["sql"] for q in many_hearts.captured_queries]


def test_it_names_the_cap_only_to_a_guest_who_reached_it(client, photos, settings):
    settings.FAVOURITES_PER_GALLERY = 2
    heart(client, photos[0])
    below = client.get("/g/anna-ben/favourites/").content.decode()
    heart(client, photos[1])
    full = client.get("/g/anna-ben/favourites/").content.decode()

    assert "at most" not in below and "as many as a gallery keeps" not in below
    assert "That is as many as a gallery keeps: remove one to heart another." in full
    assert heart(client, photos[2]).status_code != 200  # the cap itself holds
