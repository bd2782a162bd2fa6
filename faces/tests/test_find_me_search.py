"""Find me with real faces: a selfie finds the photos its person is in, with the face
marked, and no one else's (the real local engine; see face_images.py)."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import (
    add_photos,
    each_photo_indexed_once,
    face_on,
    face_search_gallery,
    find_me_url,
    selfie_file,
)
from galleries.files import photo_view_url as file_url
from galleries.models import Gallery

# The person in the middle of the group photo, and two crops of that photo: one
# around them alone, one of the three people on the right, without them.
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]
AROUND_THEM = (360, 200, 660, 560)
WITHOUT_THEM = (620, 0, 1280, 886)


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _gallery_of_three(capture):
    """The group photo, the person alone (a crop, smaller), and the others without them."""
    group = face_images.group_photo()
    alone = group.crop(AROUND_THEM)
    alone = alone.resize((alone.width * 4 // 5, alone.height * 4 // 5))
    gallery = face_search_gallery()
    photos = add_photos(gallery, [group, alone, group.crop(WITHOUT_THEM)], capture)
    return gallery, photos


def _keys_in_order(html: str) -> list[str]:
    return re.findall(r'<li class="match" data-photo="([0-9a-f-]+)"', html)


def _marked_box(html: str, key) -> dict[str, float]:
    item = html.split(f'data-photo="{key}"', 1)[1].split("</li>", 1)[0]
    style = re.search(r'class="face-box" style="([^"]+)"', item).group(1)
    return {name: float(value) for name, value in re.findall(r"([a-z]+): ([0-9.]+)%", style)}


def _contains(box: dict[str, float], point_percent: tuple[float, float]) -> bool:
    x, y = point_percent
    return box["left"] <= x < box["left"] + box["width"] and box["top"] <= y < box["top"] + box["height"]


def test_it_finds_the_photos_of_the_selfies_person_and_marks_their_face(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, (group, alone, others) = _gallery_of_three(django_capture_on_commit_callbacks)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    assert response.status_code == 200
    assert "You <span" in response.text
    assert set(_keys_in_order(response.text)) == {str(group.key), str(alone.key)}
    assert str(others.key) not in response.text
    group_box = _marked_box(response.text, group.key)
    assert _contains(group_box, (100 * CENTRE[0] / group.width, 100 * CENTRE[1] / group.height))
    for other_centre in GROUP_PHOTO_FACE_CENTRES:
        if other_centre != CENTRE:
            assert not _contains(group_box, (100 * other_centre[0] / group.width, 100 * other_centre[1] / group.height))
    # The results' link carries the box in per mille of the photo.
    assert face_on(group, CENTRE).box_percent == pytest.approx(group_box, abs=0.06)


def test_it_shows_the_strongest_match_first(consenting_client, django_capture_on_commit_callbacks):
    gallery, _ = _gallery_of_three(django_capture_on_commit_callbacks)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    you = response.context["you"]
    assert len(you) == 2
    similarities = [tile["similarity"] for tile in you]
    assert similarities == sorted(similarities, reverse=True)
    assert _keys_in_order(response.text) == [str(tile["photo"].key) for tile in you]


def test_each_photo_links_to_its_page_and_its_download(consenting_client, django_capture_on_commit_callbacks):
    gallery, (group, _, _) = _gallery_of_three(django_capture_on_commit_callbacks)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    assert f'href="/g/{gallery.slug}/p/{group.key}/"' in response.text
    assert f'href="{escape(file_url(group, "original", download=True))}"' in response.text
    download = consenting_client.get(f"/photos/{group.key}/original?download=1")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_no_download_is_offered_when_the_gallery_allows_none(consenting_client, django_capture_on_commit_callbacks):
    gallery, (group, _, _) = _gallery_of_three(django_capture_on_commit_callbacks)
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.NONE)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    assert f'href="/g/{gallery.slug}/p/{group.key}/"' in response.text
    assert "match-download-menu" not in response.text
    assert "download=1" not in response.text


def test_less_certain_matches_are_shown_as_maybe_you(consenting_client, django_capture_on_commit_callbacks, settings):
    gallery, (group, alone, _) = _gallery_of_three(django_capture_on_commit_callbacks)
    # Thresholds so strict that the selfie's own face is only "maybe" them.
    settings.FACE_MATCH_DISTANCE = 0.01
    settings.FACE_CONFIDENT_DISTANCE = 0.005
    settings.FACE_MAYBE_DISTANCE = 0.3
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    assert response.status_code == 200
    assert response.context["you"] == []
    assert {tile["photo"].pk for tile in response.context["maybe_you"]} == {group.pk, alone.pk}
    assert "Maybe you" in response.text
    assert "You <span" not in response.text


def test_a_selfie_with_people_in_the_background_is_searched_with_the_largest_face(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, (group, alone, others) = _gallery_of_three(django_capture_on_commit_callbacks)
    # The person in the middle close to the camera, three of the group behind them.
    photo = face_images.group_photo().convert("RGB")
    x, y = GROUP_PHOTO_FACE_CENTRES[2]
    close_up = photo.crop((x - 130, y - 170, x + 130, y + 170)).resize((520, 680))
    photo.paste(close_up, (740, 150))

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(photo)}, follow=True)

    assert response.status_code == 200
    assert "Your selfie shows 4 faces. We searched for the face in the middle, or the largest" in response.text
    assert {tile["photo"].pk for tile in response.context["you"]} == {group.pk, alone.pk}
    assert str(others.key) not in response.text


def test_a_group_selfie_of_faces_of_the_same_size_asks_for_one_of_just_you(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, _ = _gallery_of_three(django_capture_on_commit_callbacks)

    response = consenting_client.post(
        find_me_url(gallery), {"selfie": selfie_file(face_images.group_photo())}, follow=True
    )

    assert response.status_code == 400
    assert "Your photo shows 6 faces of about the same size" in response.text
    assert "Take a selfie with only your face in it" in response.text
    assert "you" not in response.context


def test_a_selfie_with_a_friend_beside_finds_the_photos_of_the_one_in_the_middle(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, (group, alone, others) = _gallery_of_three(django_capture_on_commit_callbacks)
    # The person in the middle, a neighbour of about their size at the right (108 px
    # each) and one a little smaller at the left: searched, not refused.
    x, y = CENTRE
    two = face_images.reencoded(face_images.group_photo().crop((x - 330, y - 250, x + 330, y + 250)))

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(two)}, follow=True)

    assert response.status_code == 200
    assert set(_keys_in_order(response.text)) >= {str(group.key), str(alone.key)}
    assert str(others.key) not in response.text
    assert "Your selfie shows 3 faces." in response.text


def test_someone_who_is_not_in_the_gallery_is_told_so(consenting_client, django_capture_on_commit_callbacks):
    gallery, _ = _gallery_of_three(django_capture_on_commit_callbacks)

    response = consenting_client.post(
        find_me_url(gallery), {"selfie": selfie_file(face_images.tom_hanks())}, follow=True
    )

    assert response.status_code == 200
    assert "We did not find you in the photos of" in response.text
    assert 'class="match"' not in response.text


def test_the_results_are_never_cached(consenting_client, django_capture_on_commit_callbacks):
    gallery, _ = _gallery_of_three(django_capture_on_commit_callbacks)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)}, follow=True)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
