"""manage.py purge_face_data: deletes face data and switches Find me off, for one gallery
(--gallery), those whose face data began more than --older-than days ago, or all (--all);
with --dry-run it only says what it would do. Rekognition's collections go through the
engine (botocore's Stubber checks the calls against the service model)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import boto3
import pytest
from botocore.stub import Stubber
from django.core.management import CommandError, call_command
from django.utils import timezone

from faces.engines.rekognition import RekognitionEngine
from faces.models import Face, FaceCollection, PhotoFaces
from faces.services.indexing import collection_name
from faces.tests import face_images
from faces.tests.find_me import add_photos, each_photo_indexed_once, face_search_gallery
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


@pytest.fixture
def two_galleries(django_capture_on_commit_callbacks):
    """Two galleries with Find me on and their faces indexed by the real local engine."""
    galleries = []
    for name in ("old-wedding", "new-party"):
        gallery = face_search_gallery(slug=name)
        add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
        assert Face.objects.filter(gallery=gallery).count() == 6
        galleries.append(gallery)
    return galleries


def _purge(*args, capture) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("purge_face_data", *args, stdout=out)
    return out.getvalue()


def _has_face_data(gallery) -> bool:
    gallery.refresh_from_db()
    return (
        gallery.face_search_enabled
        or Face.objects.filter(gallery=gallery).exists()
        or PhotoFaces.objects.filter(gallery=gallery).exists()
        or FaceCollection.objects.filter(gallery=gallery).exists()
    )


def test_a_dry_run_says_what_it_would_delete_and_deletes_nothing(two_galleries, django_capture_on_commit_callbacks):
    out = _purge("--all", "--dry-run", capture=django_capture_on_commit_callbacks)

    assert "Would delete the face data (6 faces) of old-wedding" in out
    assert "2 gallery(ies) would be purged." in out
    assert all(_has_face_data(g) for g in two_galleries)


def test_one_gallery_is_purged_and_find_me_switched_off(two_galleries, django_capture_on_commit_callbacks):
    old, new = two_galleries

    out = _purge("--gallery", "old-wedding", capture=django_capture_on_commit_callbacks)

    assert "Deleted 6 faces of old-wedding; Find me is off." in out
    assert not _has_face_data(old)
    assert _has_face_data(new)


def test_older_than_purges_the_galleries_whose_face_data_began_before(
    two_galleries, django_capture_on_commit_callbacks
):
    old, new = two_galleries
    long_ago = timezone.now() - timedelta(days=40)
    FaceCollection.objects.filter(gallery=old).update(created_at=long_ago)
    Face.objects.filter(gallery=old).update(created_at=long_ago)
    PhotoFaces.objects.filter(gallery=old).update(indexed_at=long_ago)

    out = _purge("--older-than", "30", capture=django_capture_on_commit_callbacks)

    assert "1 gallery(ies) purged." in out
    assert not _has_face_data(old) and _has_face_data(new)


def test_without_a_choice_or_with_an_unknown_gallery_it_refuses(two_galleries, django_capture_on_commit_callbacks):
    with pytest.raises(CommandError, match="--gallery SLUG, --older-than DAYS, or --all"):
        _purge(capture=django_capture_on_commit_callbacks)
    with pytest.raises(CommandError, match="No gallery has the slug 'nope'"):
        _purge("--gallery", "nope", capture=django_capture_on_commit_callbacks)
    with pytest.raises(CommandError, match="0 or more"):
        _purge("--older-than", "-1", capture=django_capture_on_commit_callbacks)
    assert all(_has_face_data(g) for g in two_galleries)


@pytest.fixture
def stubber(monkeypatch, settings):
    settings.FACE_ENGINE = "rekognition"
    client = boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    engine = RekognitionEngine(region="us-east-1", client=client, match_threshold=settings.FACE_MAYBE_SIMILARITY)
    monkeypatch.setattr("faces.engines.get_engine", lambda: engine)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_a_rekognition_collection_is_deleted_through_the_engine(stubber, django_capture_on_commit_callbacks):
    gallery = make_gallery(face_search_enabled=True, slug="aws-gala")
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=False)  # no indexing of the upload
    photo = upload_photo(gallery)
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)
    collection = collection_name(gallery.pk)
    FaceCollection.objects.create(gallery=gallery, engine="rekognition", external_id=collection)
    Face.objects.create(
        photo=photo,
        gallery=gallery,
        engine="rekognition",
        box_left=0.1,
        box_top=0.1,
        box_width=0.2,
        box_height=0.2,
        confidence=99.0,
        external_id="11111111-1111-4111-8111-111111111111",
    )
    stubber.add_response("delete_collection", {"StatusCode": 200}, {"CollectionId": collection})

    dry = _purge("--gallery", "aws-gala", "--dry-run", capture=django_capture_on_commit_callbacks)
    assert "Would delete the face data (1 faces) of aws-gala" in dry
    out = _purge("--gallery", "aws-gala", capture=django_capture_on_commit_callbacks)

    assert f"the collection {collection} is queued for deletion" in out
    assert not _has_face_data(gallery)
