"""faces.selectors.find_me_coverage: how far indexing has got for the photos guests
see, in one query whatever their number."""

from __future__ import annotations

from faces.models import PhotoFaces
from faces.selectors import SearchCoverage, find_me_coverage
from faces.tests.find_me import face_search_gallery
from galleries.models import Photo
from galleries.tests.factories import bulk_ready_photos


def _with_status(photos, status):
    PhotoFaces.objects.bulk_create(
        [PhotoFaces(photo=photo, gallery_id=photo.gallery_id, status=status) for photo in photos]
    )


def test_it_counts_indexed_and_failed_photos_as_searched_and_the_rest_as_not(db):
    gallery = face_search_gallery()
    photos = bulk_ready_photos(gallery, 10)
    _with_status(photos[:4], PhotoFaces.Status.INDEXED)
    _with_status(photos[4:5], PhotoFaces.Status.FAILED)
    _with_status(photos[5:7], PhotoFaces.Status.PENDING)
    _with_status(photos[7:8], PhotoFaces.Status.INDEXING)
    # photos[8:] have no row yet: not queued, not searched.

    coverage = find_me_coverage(gallery=gallery)

    assert coverage == SearchCoverage(searched=5, total=10, failed=1)
    assert not coverage.complete


def test_it_counts_only_the_photos_guests_see(db):
    gallery = face_search_gallery()
    shown, waiting_approval, hidden, processing = bulk_ready_photos(gallery, 4)
    Photo.objects.filter(pk=waiting_approval.pk).update(review=Photo.Review.PENDING, uploaded_by_guest=True)
    Photo.objects.filter(pk=hidden.pk).update(hidden=True)
    Photo.objects.filter(pk=processing.pk).update(status=Photo.Status.PENDING)
    _with_status([shown], PhotoFaces.Status.INDEXED)

    coverage = find_me_coverage(gallery=gallery)

    assert coverage == SearchCoverage(searched=1, total=1, failed=0)
    assert coverage.complete


def test_it_counts_only_its_own_gallery(db):
    gallery, other = face_search_gallery(), face_search_gallery()
    _with_status(bulk_ready_photos(other, 3), PhotoFaces.Status.INDEXED)
    bulk_ready_photos(gallery, 2)

    assert find_me_coverage(gallery=gallery) == SearchCoverage(searched=0, total=2, failed=0)


def test_a_gallery_without_photos_is_complete(db):
    assert find_me_coverage(gallery=face_search_gallery()).complete


def test_it_takes_one_query_whatever_the_number_of_photos(db, django_assert_num_queries):
    small, large = face_search_gallery(), face_search_gallery()
    _with_status(bulk_ready_photos(small, 2), PhotoFaces.Status.INDEXED)
    photos = bulk_ready_photos(large, 300)
    _with_status(photos[:100], PhotoFaces.Status.INDEXED)
    _with_status(photos[100:150], PhotoFaces.Status.FAILED)

    with django_assert_num_queries(1):
        find_me_coverage(gallery=small)
    with django_assert_num_queries(1):
        assert find_me_coverage(gallery=large) == SearchCoverage(searched=150, total=300, failed=50)
