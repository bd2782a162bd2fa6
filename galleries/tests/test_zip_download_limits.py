"""The ZIP downloads a guest may start (ZIP_DOWNLOADS_PER_DEVICE and _PER_ADDRESS in
ZIP_DOWNLOAD_WINDOW_S), shared by Download all, Find me's "my photos" and My favourites;
the gallery's organizers are not limited."""

import pytest
from django.test import Client

from galleries.models import GalleryDownload
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user(staff=True)


@pytest.fixture
def gallery(owner):
    gallery = make_gallery(owner=owner, slug="summer-party")
    for n in range(2):
        upload_photo(gallery, content=unique_jpeg(width=96, height=64), filename=f"IMG_{n:04d}.jpg")
    return gallery


def _download_all(client):
    response = client.get("/g/summer-party/download/")
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def test_a_guest_over_the_limit_is_asked_to_wait_and_nothing_is_counted(client, gallery, settings):
    settings.ZIP_DOWNLOADS_PER_DEVICE = 2

    assert [_download_all(client).status_code for _ in range(2)] == [200, 200]
    refused = _download_all(client)

    assert refused.status_code == 429
    assert "Please wait a little before the next download" in refused.text
    assert "Please try again in about 60 minutes." in refused.text
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert refused["Cache-Control"] == "private, no-store"
    assert GalleryDownload.objects.filter(gallery=gallery).count() == 2
    # Another device is not held back by this one.
    assert _download_all(Client()).status_code == 200


def test_the_limit_is_shared_by_the_favourites_zip(client, gallery, settings):
    settings.ZIP_DOWNLOADS_PER_DEVICE = 1
    photo = gallery.photos.first()
    client.post(f"/g/summer-party/favourites/{photo.key}/", {"favourite": "1"}, HTTP_ACCEPT="application/json")
    assert _download_all(client).status_code == 200

    response = client.get("/g/summer-party/favourites/download/")

    assert response.status_code == 429
    assert "Back to" in response.text


def test_requests_without_cookies_are_limited_by_their_address(gallery, settings):
    settings.ZIP_DOWNLOADS_PER_ADDRESS = 2

    statuses = [_download_all(Client()).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert _download_all(Client(REMOTE_ADDR="203.0.113.9")).status_code == 200


def test_the_galleries_organizer_is_not_limited(gallery, owner, settings):
    settings.ZIP_DOWNLOADS_PER_DEVICE = settings.ZIP_DOWNLOADS_PER_ADDRESS = 1
    client = Client()
    client.force_login(owner)

    assert [_download_all(client).status_code for _ in range(3)] == [200, 200, 200]
    assert not GalleryDownload.objects.exists()
