"""A process's face matrices (faces/search.py): brought up to date in place when faces
go or are regrouped, and kept within FACE_MATRIX_CACHE_BYTES."""

import numpy as np
import pytest
from django.db.models import F

from faces import search
from faces.models import Face, FaceCollection
from faces.services.indexing import photos_faces_forget
from galleries.models import Photo
from galleries.services.photos import photo_delete
from galleries.tests.factories import bulk_ready_photos

pytestmark = pytest.mark.django_db


def _gallery_with_faces(count: int, *, seed: int = 0):
    """A gallery of `count` photos with a face each, as the local engine stores them."""
    from faces.tests.find_me import face_search_gallery

    gallery = face_search_gallery()
    FaceCollection.objects.create(gallery=gallery, engine="local")
    descriptors = np.random.default_rng(seed).normal(0, 0.1, (count, search.DESCRIPTOR_SIZE)).astype(np.float32)
    Face.objects.bulk_create(
        Face(
            photo=photo,
            gallery=gallery,
            engine="local",
            box_left=0.1,
            box_top=0.1,
            box_width=0.2,
            box_height=0.2,
            confidence=99,
            descriptor=descriptor.tobytes(),
            person=number,
        )
        for number, (photo, descriptor) in enumerate(zip(bulk_ready_photos(gallery, count), descriptors, strict=True))
    )
    return gallery


def _faces(gallery) -> list[int]:
    return list(Face.objects.filter(gallery=gallery).order_by("pk").values_list("pk", flat=True))


def test_it_drops_a_deleted_photos_faces_from_the_matrix_without_loading_the_others_again():
    gallery = _gallery_with_faces(5)
    search.gallery_descriptors(gallery.pk)
    kept = Face.objects.filter(gallery=gallery).order_by("pk")[1]
    cached_row = search.gallery_descriptors(gallery.pk).descriptors[1].copy()
    # The database's descriptor changes behind the cache's back (no revision moves): a
    # gallery loaded again would show it, one brought up to date keeps the row it holds.
    Face.objects.filter(pk=kept.pk).update(descriptor=bytes(search.DESCRIPTOR_SIZE * 4))

    photo_delete(photo=Photo.objects.get(faces=Face.objects.filter(gallery=gallery).order_by("pk")[0]))
    known = search.gallery_descriptors(gallery.pk)

    assert known.face_ids.tolist() == _faces(gallery)
    assert len(known.face_ids) == 4
    assert np.array_equal(known.descriptors[0], cached_row)
    assert np.allclose(known.squared_norms, np.einsum("ij,ij->i", known.descriptors, known.descriptors))
    assert known.revision == FaceCollection.objects.get(gallery=gallery).revision == 1


def test_it_keeps_the_neighbourhoods_the_deleted_faces_were_not_in():
    gallery = _gallery_with_faces(5)
    known = search.gallery_descriptors(gallery.pk)
    rows = {(face, 5, 0.55): np.array(close) for face, close in [(0, [2]), (3, [1, 4]), (4, [2, 3]), (2, [0])]}
    known.neighbourhoods.update(rows)

    photo_delete(photo=Photo.objects.get(faces__pk=known.face_ids[0]))
    known = search.gallery_descriptors(gallery.pk)

    # Rows 1-4 are now 0-3; the faces whose neighbourhood held the deleted one start afresh.
    assert {key: close.tolist() for key, close in known.neighbourhoods.items()} == {
        (2, 5, 0.55): [0, 3],
        (3, 5, 0.55): [1, 2],
    }


def test_it_takes_the_new_persons_of_regrouped_faces():
    gallery = _gallery_with_faces(4)
    first = search.gallery_descriptors(gallery.pk)
    first.neighbourhoods["kept"] = np.array([1])
    Face.objects.filter(gallery=gallery).update(person=7)
    Face.objects.filter(pk=_faces(gallery)[0]).update(person=None)
    FaceCollection.objects.filter(gallery=gallery).update(revision=F("revision") + 1)

    known = search.gallery_descriptors(gallery.pk)

    assert known.persons.tolist() == [-1, 7, 7, 7]
    assert known.face_ids.tolist() == _faces(gallery)
    assert "kept" in known.neighbourhoods  # the same rows: a face's neighbours still hold


def test_it_drops_faces_removed_and_takes_faces_added_since_in_one_update():
    gallery = _gallery_with_faces(6)
    search.gallery_descriptors(gallery.pk)
    faces = _faces(gallery)
    with_faces = Photo.objects.filter(faces__pk__in=faces[1:3])
    photos_faces_forget(photo_ids=with_faces.values_list("pk", flat=True))
    with_faces.delete()
    newcomer = Face.objects.get(pk=faces[5])
    newcomer.pk = None
    newcomer.save()

    known = search.gallery_descriptors(gallery.pk)

    assert known.face_ids.tolist() == _faces(gallery) == [faces[0], *faces[3:], newcomer.pk]
    assert np.array_equal(known.descriptors[-1], known.descriptors[-2])


def test_it_keeps_the_galleries_searched_last_within_the_byte_budget(settings):
    galleries = [_gallery_with_faces(10, seed=n) for n in range(3)]
    one_gallery = search.gallery_descriptors(galleries[0].pk).nbytes
    settings.FACE_MATRIX_CACHE_BYTES = 2 * one_gallery
    for gallery in galleries:
        search.gallery_descriptors(gallery.pk)
    assert search.cached_gallery_ids()[-2:] == [galleries[1].pk, galleries[2].pk]
    assert galleries[0].pk not in search.cached_gallery_ids()

    search.gallery_descriptors(galleries[1].pk)
    search.gallery_descriptors(galleries[0].pk)

    assert search.cached_gallery_ids()[-2:] == [galleries[1].pk, galleries[0].pk]
    assert galleries[2].pk not in search.cached_gallery_ids()


def test_it_searches_a_gallery_larger_than_the_budget_without_keeping_it(settings):
    small, large = _gallery_with_faces(2), _gallery_with_faces(20, seed=1)
    settings.FACE_MATRIX_CACHE_BYTES = search.gallery_descriptors(small.pk).nbytes * 5

    known = search.gallery_descriptors(large.pk)

    assert known.face_ids.tolist() == _faces(large)
    assert large.pk not in search.cached_gallery_ids()
    assert small.pk in search.cached_gallery_ids()
