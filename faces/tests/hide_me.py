"""Builders for the tests of "Hide photos of me": a gallery whose photos show real faces,
indexed by the real local engine, and the results a real search of a selfie gives."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from faces.models import Face
from faces.services.results_token import find_me_results_read
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, another_photo_of, selfie_of
from faces.tests.find_me import add_photos, face_on, face_search_gallery, find_me_url, selfie_file

# The person searched for: the third face of the group photo.
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]
# A second photo of that person alone: the group photo cut around them.
AROUND_THE_CENTRE = (360, 200, 660, 560)


def gallery_with_the_person(capture, **fields):
    """A gallery with Find me on and three photos: the group (the person among five
    others), the person alone, and the table (no face). Returns (gallery, photos)."""
    gallery = face_search_gallery(**fields)
    group = face_images.group_photo()
    photos = add_photos(gallery, [group, group.crop(AROUND_THE_CENTRE), face_images.table()], capture)
    return gallery, photos


def the_persons_selfie():
    """A selfie of the person taken with a camera: not a copy of a gallery photo."""
    return selfie_file(another_photo_of(face_images.group_photo(), CENTRE))


def a_copy_of_the_group_photo_around_the_person():
    """The group photo cut around the person, turned, enlarged and re-encoded: still a
    copy of a gallery photo (faces/copies.py)."""
    return selfie_file(selfie_of(face_images.group_photo(), CENTRE, face_px=110))


def search(client, gallery) -> str:
    """The results token of a real search of the person's selfie, as the page's redirect
    carries it (the client has consented already)."""
    response = client.post(find_me_url(gallery), {"selfie": the_persons_selfie()})
    assert response.status_code == 303, response.content[:500]
    [token] = parse_qs(urlsplit(response["Location"]).query)["r"]
    return token


def the_persons_face(group_photo) -> Face:
    return face_on(group_photo, CENTRE)


def hide_url(gallery) -> str:
    return f"/g/{gallery.slug}/find-me/hide/"


def results_url(gallery, token: str) -> str:
    return f"/g/{gallery.slug}/find-me/results/?{urlencode({'r': token})}"


def keys_found(gallery, token: str) -> list[str]:
    return [str(found.photo.key) for found in find_me_results_read(gallery=gallery, token=token).found]
