"""The hearts on the gallery's tiles keep off the faces, measured in a real browser: small
and in a bottom corner, shown with a mouse only while the tile is hovered or focused (and
once hearted), always shown on a touch screen, and always reached by the keyboard with a
visible focus ring.

The photos are crops of a real group photo whose faces the real local engine found: the
test measures each heart against those faces as the tiles show them.

With SCREENSHOTS=<folder>, the grid is saved there, light and dark."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

# Crops of the 1280 x 886 group photo: landscape, portrait, wide, a 1:3 sliver, square.
CROPS = [
    (0, 0, 1280, 886),
    (180, 60, 620, 720),
    (640, 0, 1280, 640),
    (0, 200, 1280, 700),
    (880, 60, 1080, 660),
    (380, 80, 820, 740),
    (860, 0, 1280, 630),
    (100, 150, 700, 550),
]
# Every tile's box and its heart's, with the heart's look, read in the page.
_TILES = """() => [...document.querySelectorAll("#photo-grid .tile-box")].map((box) => {
  const rect = (element) => {
    const r = element.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  };
  const heart = box.querySelector(".tile-heart");
  const style = getComputedStyle(heart);
  const href = box.querySelector(".tile").getAttribute("href");
  return { tile: rect(box), heart: rect(heart), opacity: style.opacity, href: href };
})"""


def _intersect(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.fixture
def gallery_of_faces(transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    group = face_images.group_photo()
    gallery = face_search_gallery(name="Summer party")
    photos = [
        upload_photo(gallery, content=jpeg(group.crop(box)), filename=f"IMG_{n}.jpg") for n, box in enumerate(CROPS)
    ]
    # Each photo's faces, in fractions of the photo, by the address of its tile.
    faces = {
        f"/g/{gallery.slug}/p/{photo.key}/": [
            (face.box_left, face.box_top, face.box_width, face.box_height) for face in photo.faces.all()
        ]
        for photo in photos
    }
    assert sum(len(found) for found in faces.values()) >= 20
    return gallery, faces


def _check_corners_and_faces(tiles: list[dict], faces: dict, where: str) -> None:
    for tile in tiles:
        box, heart = tile["tile"], tile["heart"]
        # Small, in the bottom right corner, inside its tile.
        limit = 24 if box["width"] <= 90 else 28
        assert heart["width"] <= limit and heart["height"] <= limit, (where, tile)
        assert 0 <= box["x"] + box["width"] - (heart["x"] + heart["width"]) <= 5, (where, tile)
        assert 0 <= box["y"] + box["height"] - (heart["y"] + heart["height"]) <= 5, (where, tile)
        # On no face that the engine found in the photo, as the tile shows it (whole, uncropped).
        [found] = [found for href, found in faces.items() if tile["href"].endswith(href)]
        for left, top, width, height in found:
            face = {
                "x": box["x"] + left * box["width"],
                "y": box["y"] + top * box["height"],
                "width": width * box["width"],
                "height": height * box["height"],
            }
            assert not _intersect(heart, face), (where, tile, face)


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 390, 1280])
def test_a_mouse_shows_a_small_heart_off_the_faces_on_hover_and_focus(live_server, gallery_of_faces, width):
    from playwright.sync_api import expect

    gallery, faces = gallery_of_faces
    shots = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else None
    with watched_browser({"width": width, "height": 900}) as (context, policy):
        page = context.new_page()
        page.goto(live_server.url + gallery.get_absolute_url())
        expect(page.locator("#photo-grid.has-hearts")).to_have_count(1)
        for image in page.locator("#photo-grid img").element_handles():
            image.scroll_into_view_if_needed()
            page.wait_for_function(IMAGE_LOADED, arg=image)
        page.mouse.move(0, 0)
        page.evaluate("() => window.scrollTo(0, 0)")
        tiles = page.evaluate(_TILES)
        assert len(tiles) == len(CROPS)
        if width < 600:
            assert min(tile["tile"]["width"] for tile in tiles) < 90  # the sliver: a narrow tile
        _check_corners_and_faces(tiles, faces, f"{width} px")
        # Out of sight until the tile is hovered.
        assert {tile["opacity"] for tile in tiles} == {"0"}
        hearts = page.locator("#photo-grid .tile-heart")
        page.locator("#photo-grid .tile-box").nth(1).hover()
        expect(hearts.nth(1)).to_have_css("opacity", "1")
        expect(hearts.nth(0)).to_have_css("opacity", "0")
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.screenshot(path=shots / f"hearts-gallery-hover-{width}-{scheme}.png", full_page=True)
            page.emulate_media(color_scheme="light")

        # From the keyboard: the tile's link, then its heart, shown with a ring around it.
        page.mouse.move(0, 0)
        page.locator("#photo-grid .tile").nth(2).focus()
        expect(hearts.nth(2)).to_have_css("opacity", "1")  # its tile has the focus
        page.keyboard.press("Tab")
        expect(hearts.nth(2)).to_be_focused()
        expect(hearts.nth(2)).to_have_css("outline-style", "solid")
        expect(hearts.nth(2)).to_have_css("outline-color", "rgb(255, 255, 255)")
        expect(hearts.nth(2)).to_have_accessible_name("Add to favourites")
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            page.keyboard.press("Enter")
        expect(hearts.nth(2)).to_have_attribute("aria-pressed", "true")
        if shots:
            page.screenshot(path=shots / f"hearts-gallery-focus-{width}.png")

        # Hearted, it stays in sight once the focus and the mouse have gone.
        page.keyboard.press("Tab")
        page.locator("body").click(position={"x": 1, "y": 1})
        expect(hearts.nth(2)).to_have_css("opacity", "1")
        expect(hearts.nth(3)).to_have_css("opacity", "0")
        assert policy.violations == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_touch_screen_shows_every_heart_small_and_off_the_faces(live_server, gallery_of_faces, scheme):
    from playwright.sync_api import expect

    gallery, faces = gallery_of_faces
    shots = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else None
    for width in (320, 390, 430):
        viewport = {"width": width, "height": 844}
        with watched_browser(viewport, has_touch=True, is_mobile=True, color_scheme=scheme) as (context, policy):
            page = context.new_page()
            page.goto(live_server.url + gallery.get_absolute_url())
            assert page.evaluate("() => matchMedia('(hover: none)').matches")
            expect(page.locator("#photo-grid.has-hearts")).to_have_count(1)
            for image in page.locator("#photo-grid img").element_handles():
                image.scroll_into_view_if_needed()
                page.wait_for_function(IMAGE_LOADED, arg=image)
            page.evaluate("() => window.scrollTo(0, 0)")
            tiles = page.evaluate(_TILES)
            _check_corners_and_faces(tiles, faces, f"touch, {width} px")
            assert {tile["opacity"] for tile in tiles} == {"1"}
            hearts = page.locator("#photo-grid .tile-heart")
            with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
                hearts.nth(1).tap()
            expect(hearts.nth(1)).to_have_attribute("aria-pressed", "true")
            expect(page.get_by_role("dialog", name="Photo viewer")).to_be_hidden()
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.locator("#photo-grid").scroll_into_view_if_needed()
                page.screenshot(path=shots / f"hearts-gallery-touch-{width}-{scheme}.png", full_page=True)
            assert policy.violations == []
