"""Which size of each photo a real browser takes: a phone's grid the middle images,
never the display ones, and every image drawn in its place. Screenshots of the
gallery and the viewer go to $SCREENSHOTS_DIR when it is set."""

import os
from pathlib import Path

import pytest

from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
LOADED_IMAGES = """() => [...document.querySelectorAll("#photo-grid img")]
    .filter((img) => img.complete && img.naturalWidth > 0)
    .map((img) => img.currentSrc)"""


def _kind(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[1]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("screen", "landscape", "portrait"),
    [
        # Justified rows (galleries/layout.py) of 110 px on a phone: a landscape tile
        # about 180 px wide (540 pixels at 3x), a portrait one about 80 (240).
        ("phone", "middle", "middle"),
        # Rows of 240 px at 1280: a landscape tile 360-450 px wide, more than its 400 px
        # thumb; a portrait one 160-200, which its 267 px thumb covers.
        ("desktop", "middle", "thumb"),
    ],
)
def test_the_grid_and_the_viewer_take_the_size_the_screen_needs(
    screen, landscape, portrait, live_server, transactional_db, monkeypatch, tmp_path
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    gallery = make_gallery(name="Summer party")
    for n in range(9):
        size = (2000, 3000) if n % 4 == 3 else (3000, 2000)
        upload_photo(gallery, content=unique_jpeg(width=size[0], height=size[1]), filename=f"IMG_{n}.jpg")
    # One processed before the middle size existed: it takes the display image meanwhile.
    old = gallery.photos.order_by("sort_at", "id").last()
    Photo.objects.filter(pk=old.pk).update(middle="")
    url = live_server.url + gallery.get_absolute_url()
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    device = PHONE if screen == "phone" else DESKTOP

    with watched_browser(device["viewport"], device_scale_factor=device["device_scale_factor"]) as (context, policy):
        page = context.new_page()
        page.set_default_timeout(10_000)
        requested = []
        page.on("request", lambda request: "/photos/" in request.url and requested.append(request.url))
        page.goto(url)
        tiles = page.locator("#photo-grid .tile img")
        expect(tiles).to_have_count(9)
        for n in range(9):
            page.wait_for_function(IMAGE_LOADED, arg=tiles.nth(n).element_handle())
        page.screenshot(path=shots / f"{screen}-gallery.png", full_page=True)

        loaded = page.evaluate(LOADED_IMAGES)
        hero = page.locator(".hero-image").evaluate("img => img.currentSrc")
        # A phone takes the cover cut for its hero (galleries/hero.py), a desktop the display image.
        assert _kind(hero) == ("hero.jpg" if screen == "phone" else "display")
        expected = [portrait if n % 4 == 3 else landscape for n in range(8)]
        # The first photo is the hero's too: the browser may reuse the larger file it has.
        assert loaded[0] == hero or _kind(loaded[0]) == expected[0]
        assert [_kind(src) for src in loaded[1:8]] == expected[1:]
        assert _kind(loaded[8]) == "display"  # no middle image: the thumb is too small either way
        # Nothing else took the display image (the viewer is not open yet).
        assert not [src for src in requested if _kind(src) == "display" and src != hero and str(old.key) not in src]

        # The viewer draws the photo whole inside the screen, from a size that covers it.
        tiles.first.click()
        image = page.locator("#viewer .viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
        box = image.bounding_box()
        viewport = device["viewport"]
        assert box["width"] <= viewport["width"] and box["height"] <= viewport["height"]
        assert max(box["width"], box["height"]) > 0.8 * min(viewport["width"], viewport["height"])
        source = image.evaluate("img => [img.currentSrc, img.naturalWidth]")
        assert source[1] >= box["width"] * device["device_scale_factor"] or _kind(source[0]) == "display"
        page.screenshot(path=shots / f"{screen}-viewer.png")
        page.keyboard.press("Escape")
        page.wait_for_url(url)  # closing goes back from the photo's URL; the goto below must not race it

        # The photo page, too.
        page.goto(live_server.url + tiles.first.evaluate("img => img.parentElement.getAttribute('href')"))
        photo = page.locator("#viewer .viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=photo.element_handle())
        assert photo.bounding_box()["width"] <= viewport["width"]
        page.screenshot(path=shots / f"{screen}-photo-page.png")
        assert policy.violations == []
