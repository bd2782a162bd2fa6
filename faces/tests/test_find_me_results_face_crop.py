"""The matched face shown large beside each Find me result: a square window on the same
photo (faces/views.py, face_crop), placed so that the face fills most of it and the
window never leaves the photo."""

from __future__ import annotations

import re

import pytest

from faces.views import FACE_CROP_MARGIN, face_crop


def _window(crop: dict, *, width: int, height: int) -> tuple[float, float, float]:
    """The window's left, top and side in pixels of the photo."""
    side = width / crop["scale"]
    return -crop["left"] * side, -crop["top"] * side, side


def test_it_centres_the_window_on_a_small_face_in_a_group_photo():
    # A face of 60 x 80 px with its centre at (530, 340) in a 1280 x 886 photo.
    box = {"left": 500 / 12.8, "top": 300 / 8.86, "width": 60 / 12.8, "height": 80 / 8.86}
    crop = face_crop(box, width=1280, height=886)
    left, top, side = _window(crop, width=1280, height=886)
    assert side == pytest.approx(80 * FACE_CROP_MARGIN, rel=1e-3)
    assert left + side / 2 == pytest.approx(530, abs=0.5)
    assert top + side / 2 == pytest.approx(340, abs=0.5)


def test_it_keeps_the_window_inside_the_photo_for_a_face_at_its_corner():
    box = {"left": 0.0, "top": 95.0, "width": 5.0, "height": 5.0}
    crop = face_crop(box, width=1000, height=1000)
    left, top, side = _window(crop, width=1000, height=1000)
    assert left == pytest.approx(0, abs=1e-6)
    assert top + side == pytest.approx(1000, abs=0.5)
    assert crop["left"] <= 0 and crop["top"] <= 0


def test_it_shows_the_whole_photo_across_when_the_face_fills_a_portrait():
    # A selfie-like portrait: the window cannot be wider than the photo.
    box = {"left": 5.0, "top": 20.0, "width": 90.0, "height": 50.0}
    crop = face_crop(box, width=600, height=900)
    left, top, side = _window(crop, width=600, height=900)
    assert crop["scale"] == 1.0
    assert side == pytest.approx(600)
    assert 0 <= top <= 900 - 600


@pytest.mark.django_db
def test_it_draws_each_results_face_from_the_photos_own_images(client):
    from faces.tests.find_me import face_search_gallery, results_token
    from galleries.tests.factories import unique_jpeg, upload_photo

    gallery = face_search_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=600, height=400))
    response = client.get(f"/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=[photo])}")
    html = response.content.decode()
    [face] = re.findall(r'<span class="match-face" style="([^"]+)" aria-hidden="true"><img src="([^"]+)"', html)
    # results_token's face: 20 % wide and 30 % high at (25 %, 12.5 %) of a 3:2 photo.
    tile = response.context["you"][0]
    assert face[0] == (
        f"--face-scale: {tile['face_crop']['scale']}; --face-left: {tile['face_crop']['left']}; "
        f"--face-top: {tile['face_crop']['top']}"
    )
    assert tile["face_crop"] == face_crop(tile["face_box"], width=600, height=400)
    # The same access-checked addresses as the result's photo: no other file is served.
    assert face[1] == tile["thumb_url"]
    assert f'srcset="{tile["srcset"]}" sizes="{tile["face_crop_sizes"]}"' in html
