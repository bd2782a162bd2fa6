"""Indexing the faces of gallery photos with the real local engine, and the face data
going with its photo, its gallery, or Find me switched off."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from faces.models import Face, FaceCollection, PhotoFaces
from faces.services.indexing import (
    gallery_face_search_switched,
    gallery_faces_queue,
    photo_faces_index,
    photo_faces_queue,
)
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import add_photos, face_on, face_search_gallery, jpeg
from galleries.services.galleries import gallery_delete
from galleries.services.photos import photo_delete
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db


def _person_photo(centre, *, angle=4.0):
    """One person of the group photo, cropped, turned and saved again: another photo of them."""
    return face_images.selfie_of(face_images.group_photo(), centre, face_px=110, angle=angle, quality=80)


def test_it_indexes_the_faces_of_a_photo_once_it_is_processed(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)

    status = PhotoFaces.objects.get(photo=photo)
    assert (status.status, status.face_count, status.engine, status.error) == ("indexed", 6, "local", "")
    faces = list(photo.faces.all())
    assert len(faces) == 6
    for centre in GROUP_PHOTO_FACE_CENTRES:
        face = face_on(photo, centre)
        assert 0 < face.box_width < 0.2 and 0 < face.box_height < 0.2
        assert len(bytes(face.descriptor)) == 128 * 4
        assert {point["type"] for point in face.landmarks} == {"eyeLeft", "eyeRight", "nose"}
        assert face.confidence > 50
        assert face.gallery_id == gallery.pk
    assert len({face.person for face in faces}) == 6


def test_it_groups_the_faces_of_one_person_across_photos(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    group, alone = add_photos(
        gallery,
        [face_images.group_photo(), _person_photo(GROUP_PHOTO_FACE_CENTRES[1])],
        django_capture_on_commit_callbacks,
    )
    [face_alone] = alone.faces.all()
    assert face_alone.person == face_on(group, GROUP_PHOTO_FACE_CENTRES[1]).person
    others = [
        face_on(group, centre).person for centre in GROUP_PHOTO_FACE_CENTRES if centre != GROUP_PHOTO_FACE_CENTRES[1]
    ]
    assert face_alone.person not in others


def test_it_does_not_index_photos_of_galleries_without_find_me():
    gallery = make_gallery()
    upload_photo(gallery, content=jpeg(face_images.group_photo()))
    assert not Face.objects.exists()
    assert not PhotoFaces.objects.exists()


def test_it_marks_a_photo_failed_with_the_reason_and_indexes_it_on_retry(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    original = default_storage.open(photo.original.name).read()
    default_storage.delete(photo.original.name)

    result = photo_faces_index(photo_id=photo.pk)

    assert result.status == PhotoFaces.Status.FAILED
    assert result.error == "The original is missing from storage."
    assert result.face_count == 0
    assert photo.faces.count() == 6  # the faces found before stay until a retry works

    default_storage.save(photo.original.name, ContentFile(original))
    with django_capture_on_commit_callbacks(execute=True):
        assert photo_faces_queue(photo=photo)
    assert PhotoFaces.objects.get(photo=photo).status == PhotoFaces.Status.INDEXED
    assert photo.faces.count() == 6


def test_a_failed_photo_does_not_stop_the_others(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    broken, whole = add_photos(
        gallery,
        [face_images.group_photo(), _person_photo(GROUP_PHOTO_FACE_CENTRES[0])],
        django_capture_on_commit_callbacks,
    )
    default_storage.delete(broken.original.name)
    with django_capture_on_commit_callbacks(execute=True):
        assert gallery_faces_queue(gallery=gallery, reindex=True) == 2
    statuses = dict(PhotoFaces.objects.values_list("photo_id", "status"))
    assert statuses == {broken.pk: "failed", whole.pk: "indexed"}


def test_indexing_again_replaces_the_faces_of_a_photo(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    before = set(photo.faces.values_list("pk", flat=True))
    revision = FaceCollection.objects.get(gallery=gallery).revision

    photo_faces_index(photo_id=photo.pk)

    after = set(photo.faces.values_list("pk", flat=True))
    assert len(after) == 6 and not before & after
    assert FaceCollection.objects.get(gallery=gallery).revision == revision + 1


def test_switching_find_me_on_indexes_the_photos_already_there(django_capture_on_commit_callbacks):
    gallery = make_gallery()
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
    assert not PhotoFaces.objects.exists()

    gallery.face_search_enabled = True
    gallery.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert gallery_face_search_switched(gallery=gallery) == 1
    assert photo.faces.count() == 6


def test_switching_find_me_off_deletes_the_gallerys_face_data(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    other = face_search_gallery()
    add_photos(other, [_person_photo(GROUP_PHOTO_FACE_CENTRES[3])], django_capture_on_commit_callbacks)

    gallery.face_search_enabled = False
    gallery.save()
    gallery_face_search_switched(gallery=gallery)

    assert not Face.objects.filter(gallery=gallery).exists()
    assert not PhotoFaces.objects.filter(gallery=gallery).exists()
    assert not FaceCollection.objects.filter(gallery=gallery).exists()
    assert Face.objects.filter(gallery=other).count() == 1


def test_deleting_a_photo_deletes_its_faces(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    group, alone = add_photos(
        gallery,
        [face_images.group_photo(), _person_photo(GROUP_PHOTO_FACE_CENTRES[5])],
        django_capture_on_commit_callbacks,
    )
    revision = FaceCollection.objects.get(gallery=gallery).revision

    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=group)

    assert list(Face.objects.values_list("photo_id", flat=True)) == [alone.pk]
    assert list(PhotoFaces.objects.values_list("photo_id", flat=True)) == [alone.pk]
    assert FaceCollection.objects.get(gallery=gallery).revision == revision + 1


def test_deleting_a_gallery_deletes_its_face_data(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)

    assert not Face.objects.exists()
    assert not PhotoFaces.objects.exists()
    assert not FaceCollection.objects.exists()
