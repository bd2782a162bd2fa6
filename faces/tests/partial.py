"""A gallery whose face indexing is not done: builders for the tests of Find me while
the gallery is still being indexed (the page, the API, the browser)."""

from __future__ import annotations

from faces.models import PhotoFaces
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import add_photos, face_search_gallery, jpeg
from galleries.models import Photo
from galleries.tests.factories import upload_photo

# The person in the middle of the group photo; a crop around them alone; a crop of
# the three people on the right, without them.
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]
AROUND_THEM = (360, 200, 660, 560)
WITHOUT_THEM = (620, 0, 1280, 886)


def selfie_of_the_middle_person():
    return selfie_of(face_images.group_photo(), CENTRE, face_px=110)


def half_indexed_gallery(capture, **fields) -> tuple[object, dict[str, Photo]]:
    """The group photo and the others without the middle person, indexed; the middle
    person alone, processed and shown to guests, its indexing queued and not run yet
    (the worker's task is queued on commit, which `capture` holds back here)."""
    group = face_images.group_photo()
    alone = group.crop(AROUND_THEM)
    alone = alone.resize((alone.width * 4 // 5, alone.height * 4 // 5))
    gallery = face_search_gallery(**fields)
    indexed_group, indexed_others = add_photos(gallery, [group, group.crop(WITHOUT_THEM)], capture)
    queued = upload_photo(gallery, content=jpeg(alone), filename="IMG_0003.jpg")
    assert queued.is_ready
    assert PhotoFaces.objects.get(photo=queued).status == PhotoFaces.Status.PENDING
    return gallery, {"group": indexed_group, "others": indexed_others, "alone": queued}
