"""Where a gallery's photos stand (galleries/pipeline_status.py): processed, waiting and
failed, indexed and waiting for Find me, and how long the oldest has waited, on the
gallery's change page and in the gallery list, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from faces.models import PhotoFaces
from galleries.admin_columns import waited_short
from galleries.models import Photo
from galleries.pipeline_status import gallery_pipeline_status
from galleries.tests.factories import bulk_ready_photos, make_gallery


def gallery_in_the_pipeline(size: int, *, face_search_enabled: bool = True):
    """`size` photos: three waiting (the oldest queued 7 minutes ago), one failed, the rest
    processed; of those, two indexed for Find me, the others waiting (the oldest 12 minutes)."""
    gallery = make_gallery(face_search_enabled=face_search_enabled)
    photos = bulk_ready_photos(gallery, size)
    now = timezone.now()
    waiting, failed, processed = photos[:3], photos[3], photos[4:]
    for minutes, photo in zip((7, 5, 1), waiting, strict=True):
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.PENDING, queued_at=now - timedelta(minutes=minutes)
        )
    Photo.objects.filter(pk=waiting[2].pk).update(status=Photo.Status.PROCESSING)
    Photo.objects.filter(pk=failed.pk).update(status=Photo.Status.FAILED)
    for i, photo in enumerate(processed):
        PhotoFaces.objects.create(
            photo=photo,
            gallery=gallery,
            status=PhotoFaces.Status.INDEXED if i < 2 else PhotoFaces.Status.PENDING,
            queued_at=now - timedelta(minutes=12 - i),
        )
    return gallery


def test_it_counts_where_the_photos_stand_and_since_when_the_oldest_waits(db):
    gallery = gallery_in_the_pipeline(10)

    status = gallery_pipeline_status(gallery=gallery)

    assert (status.photos, status.processed, status.waiting, status.failed) == (10, 6, 3, 1)
    assert (status.indexed, status.index_waiting, status.index_failed) == (2, 4, 0)
    assert 7 * 60 - 5 < (timezone.now() - status.oldest_waiting_since).total_seconds() < 7 * 60 + 5
    assert 10 * 60 - 5 < (timezone.now() - status.oldest_index_waiting_since).total_seconds() < 10 * 60 + 5


def test_a_gallery_with_nothing_waiting_has_no_oldest(db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 2)

    status = gallery_pipeline_status(gallery=gallery)

    assert (status.photos, status.processed, status.waiting) == (2, 2, 0)
    assert status.oldest_waiting_since is None and status.oldest_index_waiting_since is None


@pytest.mark.parametrize("size", [5, 40])
def test_it_is_one_query_whatever_the_gallerys_size(db, django_assert_num_queries, size):
    gallery = gallery_in_the_pipeline(size)

    with django_assert_num_queries(1):
        gallery_pipeline_status(gallery=gallery)


def test_the_change_page_shows_it(organizer_client):
    gallery = gallery_in_the_pipeline(10)

    text = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/").text

    assert "6 processed, " in text
    assert "3 waiting for processing (oldest waiting 7\xa0minutes)" in text
    assert "2 photos indexed</a>, " in text
    assert "4 waiting for indexing (oldest waiting 10\xa0minutes)" in text


def test_the_change_page_says_nothing_of_indexing_when_find_me_is_off(organizer_client):
    gallery = gallery_in_the_pipeline(10, face_search_enabled=False)

    text = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/").text

    assert "3 waiting for processing" in text
    assert "waiting for indexing" not in text


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_change_page_and_the_list_make_as_many_queries_for_a_large_gallery(organizer_client):
    small, large = gallery_in_the_pipeline(5), gallery_in_the_pipeline(60)

    change = [_queries(organizer_client, f"/admin/galleries/gallery/{g.pk}/change/") for g in (small, large)]
    listing = _queries(organizer_client, "/admin/galleries/gallery/")
    gallery_in_the_pipeline(30)

    assert change[0] == change[1]
    assert _queries(organizer_client, "/admin/galleries/gallery/") == listing


def test_the_list_shows_how_long_the_oldest_photo_has_waited(organizer_client):
    gallery_in_the_pipeline(10)

    text = organizer_client.get("/admin/galleries/gallery/").text

    assert '<progress value="7" max="10"></progress> 6/10, 1 failed' in text
    assert '<span class="pipeline-waiting">oldest waiting 7 min</span>' in text


def test_the_list_says_the_wait_shortly():
    now = timezone.now()

    assert [waited_short(now - timedelta(seconds=s), now) for s in (30, 60, 3599, 3600, 47 * 3600, 49 * 3600)] == [
        "<1 min",
        "1 min",
        "59 min",
        "1 h",
        "47 h",
        "2 days",
    ]
