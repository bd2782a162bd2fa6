"""galleries/stats.py: a gallery's views (once per device per day, without touching the
cached gallery page) and downloads, as its admin page shows them."""

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from galleries import stats
from galleries.models import Gallery, GalleryDownload, GalleryVisit
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo
from ops.ratelimits import DEVICE_COOKIE


@pytest.fixture
def gallery(db):
    return make_gallery(slug="party")


def test_a_device_is_one_view_a_day_and_only_its_first_request_writes(gallery):
    noon = timezone.make_aware(datetime(2026, 6, 3, 12, 0))
    with CaptureQueriesContext(connection) as first:
        assert stats.gallery_view_record(gallery=gallery, device="anna", now=noon)
    assert len(first) == 1
    with CaptureQueriesContext(connection) as again:
        assert not stats.gallery_view_record(gallery=gallery, device="anna", now=noon + timedelta(hours=3))
    assert len(again) == 0
    stats.gallery_view_record(gallery=gallery, device="ben", now=noon)
    stats.gallery_view_record(gallery=gallery, device="anna", now=noon + timedelta(days=1))
    assert GalleryVisit.objects.count() == 3
    assert "anna" not in set(GalleryVisit.objects.values_list("visitor", flat=True))


def test_another_process_that_counts_the_same_view_adds_no_row(gallery):
    stats.gallery_view_record(gallery=gallery, device="anna")
    cache.clear()  # as a second gunicorn worker's memory would be
    assert stats.gallery_view_record(gallery=gallery, device="anna")
    assert GalleryVisit.objects.count() == 1


def test_the_cached_gallery_page_counts_nothing_and_writes_nothing(gallery):
    upload_photo(gallery, content=unique_jpeg())
    client = Client()
    client.get("/g/party/favourites/state")  # a device with its cookie, counted once
    client.get("/g/party/")
    with CaptureQueriesContext(connection) as page:
        assert client.get("/g/party/").status_code == 200
    assert [q["sql"] for q in page.captured_queries if not q["sql"].startswith("SELECT")] == []
    assert GalleryVisit.objects.count() == 1


def test_the_photo_page_counts_a_view_and_downloads_are_counted_when_made(gallery):
    photo = upload_photo(gallery, content=unique_jpeg())
    guest = Client()
    guest.get(f"/g/party/p/{photo.key}/")
    guest.get(f"/g/party/p/{photo.key}/")
    assert DEVICE_COOKIE in guest.cookies
    guest.get(f"/photos/{photo.key}/thumb")  # looking is not downloading
    guest.get(f"/photos/{photo.key}/original?download=1")
    guest.get("/g/party/download/")
    overview = stats.gallery_overview(gallery=gallery)
    assert (overview.views, overview.visitors, overview.views_today) == (1, 1, 1)
    assert (overview.photo_downloads, overview.zip_downloads, overview.zip_photos) == (1, 1, 1)
    assert sorted(GalleryDownload.objects.values_list("what", flat=True)) == ["all", "photo"]


def test_a_visitor_without_cookies_on_the_photo_page_is_no_view_and_no_write(gallery):
    photo = upload_photo(gallery, content=unique_jpeg())
    for _ in range(3):
        crawler = Client()  # a link preview: no cookie jar
        response = crawler.get(f"/g/party/p/{photo.key}/")
        assert DEVICE_COOKIE in response.cookies
    assert not GalleryVisit.objects.exists()


def test_those_who_manage_the_gallery_are_not_counted(gallery):
    owner = make_user(staff=True)
    Gallery.objects.filter(pk=gallery.pk).update(owner=owner)
    photo = upload_photo(gallery, content=unique_jpeg())
    client = Client()
    client.force_login(owner)
    client.get(f"/g/party/p/{photo.key}/")
    client.get(f"/photos/{photo.key}/original?download=1")
    client.get("/g/party/download/")
    assert not GalleryVisit.objects.exists() and not GalleryDownload.objects.exists()


def test_the_overview_takes_the_same_queries_whatever_the_figures(gallery):
    with CaptureQueriesContext(connection) as empty:
        stats.gallery_overview(gallery=gallery)
    for n in range(5):
        stats.gallery_view_record(gallery=gallery, device=f"device-{n}")
        stats.gallery_download_record(gallery=gallery, what=GalleryDownload.What.ALL, photo_count=n)
    with CaptureQueriesContext(connection) as busy:
        overview = stats.gallery_overview(gallery=gallery)
    assert len(busy) == len(empty) == 5
    assert (overview.views, overview.zip_downloads, overview.zip_photos) == (5, 5, 10)
