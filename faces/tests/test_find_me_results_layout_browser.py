"""Find me's results on a phone, measured in a real browser: the justified rows hold at
320, 360, 390 and 430 pixels wide (and on a computer), nothing under a photo overlaps
anything else or leaves its cell, and each result shows the matched face large enough
to recognise, cut from the same photo.

The photos are crops of a real group photo, portrait, landscape, square and a sliver,
indexed by the real local engine; the results name the faces it found, as a search's do.

With RESULTS_SCREENSHOTS=<folder>, each width is saved there, light and dark."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faces.services.results_token import find_me_results_token
from faces.services.search import PhotoMatch, SearchResult
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import face_on, face_search_gallery, jpeg
from galleries.models import Gallery
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, one_browser

CENTRE = GROUP_PHOTO_FACE_CENTRES[2]
# Crops of the 1280 x 886 group photo around the third person's face: portrait,
# landscape, wide, square and a 1:3 sliver, in the order the results show them.
CROPS = [
    (330, 150, 680, 700),
    (0, 0, 1280, 886),
    (380, 80, 820, 740),
    (0, 200, 1280, 700),
    (300, 150, 700, 550),
    (420, 150, 590, 660),
    (100, 150, 700, 550),
]
WIDTHS = [320, 360, 390, 430, 1280]
# Every box on a result, read in the page: the cell, its photo and face crop, the controls.
_BOXES = """() => [...document.querySelectorAll(".match")].map((match) => {
  const box = (element) => {
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return { x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height };
  };
  return {
    cell: box(match),
    photo: box(match.querySelector(".match-photo")),
    image: box(match.querySelector(".match-photo img")),
    faceBox: box(match.querySelector(".face-box")),
    crop: box(match.querySelector(".match-face")),
    cropImage: box(match.querySelector(".match-face img")),
    cropLoaded: ((image) => image.complete && image.naturalWidth > 0)(match.querySelector(".match-face img")),
    controls: [...match.querySelectorAll(".match-download, .not-me, .match-hide")].map(box),
    overflow: match.scrollWidth - match.clientWidth,
  };
})"""


def _intersect(a: dict, b: dict) -> bool:
    # Touching edges is not overlapping; half a pixel is rounding.
    return (
        a["x"] + 0.5 < b["x"] + b["width"]
        and b["x"] + 0.5 < a["x"] + a["width"]
        and a["y"] + 0.5 < b["y"] + b["height"]
        and b["y"] + 0.5 < a["y"] + a["height"]
    )


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.browser
def test_it_keeps_every_result_whole_and_apart_from_320_pixels_up(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    group = face_images.group_photo()
    gallery = face_search_gallery(name="Summer party", downloads=Gallery.Downloads.ORIGINALS)
    photos, faces = [], []
    for number, (left, top, right, bottom) in enumerate(CROPS, start=1):
        photo = upload_photo(
            gallery, content=jpeg(group.crop((left, top, right, bottom))), filename=f"IMG_{number}.jpg"
        )
        photos.append(photo)
        faces.append(face_on(photo, (CENTRE[0] - left, CENTRE[1] - top)))
    matches = [
        PhotoMatch(photo=photo, face=face, similarity=99.0 - number, is_sure=number < 5)
        for number, (photo, face) in enumerate(zip(photos, faces, strict=True))
    ]
    result = SearchResult(matches=matches, faces_in_selfie=1, describe_ms=0, search_ms=0)
    token = find_me_results_token(gallery=gallery, result=result)
    url = f"{live_server.url}/g/{gallery.slug}/find-me/results/?r={token}"
    shots = Path(os.environ["RESULTS_SCREENSHOTS"]) if os.environ.get("RESULTS_SCREENSHOTS") else None

    # One browser for every width and scheme, a context each (no ORM in the block).
    with one_browser() as watched_context:
        for width in WIDTHS:
            for scheme in ["light", "dark"] if shots else ["light"]:
                with watched_context({"width": width, "height": 844}, color_scheme=scheme) as (context, policy):
                    page = context.new_page()
                    page.goto(url)
                    for image in page.locator(".match img").element_handles():
                        image.scroll_into_view_if_needed()
                        page.wait_for_function(IMAGE_LOADED, arg=image)
                    results = page.evaluate(_BOXES)
                    # Each control says which photo it is for.
                    assert page.get_by_role("checkbox", name="Hide photo that may show you 2", exact=True).count() == 1
                    assert (
                        page.get_by_role("button", name="Not me: leave photo of you 3 out of these results").count()
                        == 1
                    )
                    page_width = page.evaluate("() => document.documentElement.scrollWidth")
                    if shots:
                        shots.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=shots / f"find-me-results-{width}-{scheme}.png", full_page=True)
                    assert policy.violations == []
                assert page_width <= width

                assert len(results) == len(CROPS)
                everything = []
                for number, result in enumerate(results):
                    where = f"result {number + 1} at {width} px"
                    cell = result["cell"]
                    assert result["overflow"] <= 0, where
                    assert cell["x"] >= 0 and cell["x"] + cell["width"] <= width, where
                    # Under the photo, each thing in the cell, none on another.
                    parts = [result["photo"], result["crop"], *result["controls"]]
                    assert len(result["controls"]) == 3, where  # Download, Not me, Hide
                    for part in parts:
                        assert part["width"] > 0 and _inside(part, cell), where
                    everything += parts
                    # The photo keeps its proportions in its cell, and the box is on the face.
                    image = result["image"]
                    assert _inside(image, result["photo"]), where
                    assert _inside(result["faceBox"], image), where
                    # The face crop: at least 64 px across, the face the greater part of it.
                    crop, crop_image = result["crop"], result["cropImage"]
                    assert result["cropLoaded"], where
                    assert crop["width"] >= 64 and crop["height"] >= 64, where
                    face = faces[number]
                    face_x = crop_image["x"] + crop_image["width"] * (face.box_left + face.box_width / 2)
                    face_y = crop_image["y"] + crop_image["height"] * (face.box_top + face.box_height / 2)
                    assert _inside({"x": face_x, "y": face_y, "width": 0, "height": 0}, crop), where
                    assert crop_image["width"] * face.box_width >= crop["width"] * 0.45, where
                for index, one in enumerate(everything):
                    for other in everything[index + 1 :]:
                        assert not _intersect(one, other), (width, one, other)

                # Justified rows: the photos of a row share one height and none is a stamp.
                rows: dict[int, list[dict]] = {}
                for result in results:
                    rows.setdefault(round(result["photo"]["y"]), []).append(result["photo"])
                for row in rows.values():
                    assert max(p["height"] for p in row) - min(p["height"] for p in row) <= 1
                assert min(result["cell"]["width"] for result in results) >= 100
