"""The viewer's history and sharing in a real browser (static/galleries/gallery.js,
static/galleries/share.js): each photo has its own URL, Back closes the viewer,
?photo=<key> opens it, and Share copies the link where there is no share sheet."""

import os
import re
from pathlib import Path

import pytest

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

PER_PAGE = 6
PHOTO_COUNT = 9  # pages of 6 and 3: the deep-linked photo is on the second
# Headless Chromium on Linux has no share sheet today; deleting it makes sure that the
# test takes the copying path on every platform.
_NO_SHARE_SHEET = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"


@pytest.fixture
def gallery(transactional_db, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PHOTOS_PER_PAGE = PER_PAGE
    gallery = make_gallery(name="Summer party")
    for n in range(PHOTO_COUNT):
        upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename=f"IMG_{n:04d}.jpg")
    return gallery


def _photo_urls(gallery):
    return [
        f"/g/{gallery.slug}/p/{key}/" for key in gallery.photos.ready().in_display_order().values_list("key", flat=True)
    ]


@pytest.mark.browser
def test_back_closes_the_viewer_and_each_photo_has_its_url(live_server, gallery):
    from playwright.sync_api import expect

    gallery_url = live_server.url + gallery.get_absolute_url()
    photos = _photo_urls(gallery)
    with watched_browser({"width": 390, "height": 500}) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(gallery_url)
        tiles = page.locator("#photo-grid .tile")
        viewer = page.get_by_role("dialog", name="Photo viewer")
        image = page.locator(".viewer-image")
        page.evaluate("window.scrollTo(0, 300)")
        scroll = page.evaluate("window.scrollY")
        assert scroll > 0
        page.evaluate("window.sameDocument = true")

        # Opening a photo puts its own URL in the address bar; Back closes the viewer on the gallery.
        tiles.nth(3).click()
        expect(viewer).to_be_visible()
        page.wait_for_url(live_server.url + photos[3])
        page.go_back()
        expect(viewer).to_be_hidden()
        page.wait_for_url(gallery_url)
        expect(tiles.nth(3)).to_be_focused()
        assert page.evaluate("window.scrollY") == scroll
        assert page.evaluate("window.sameDocument") is True

        # Previous / next replace the photo's entry: one Back still closes the viewer.
        tiles.nth(1).click()
        page.wait_for_url(live_server.url + photos[1])
        viewer.locator(".viewer-next").click()
        page.wait_for_url(live_server.url + photos[2])
        page.keyboard.press("ArrowRight")
        page.wait_for_url(live_server.url + photos[3])
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(live_server.url + photos[2])
        page.go_back()
        expect(viewer).to_be_hidden()
        page.wait_for_url(gallery_url)
        expect(tiles.nth(2)).to_be_focused()

        # Escape (like the close button) leaves the photo's URL too, so Back then leaves nothing open.
        tiles.nth(0).click()
        page.wait_for_url(live_server.url + photos[0])
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
        page.wait_for_url(gallery_url)
        expect(tiles.nth(0)).to_be_focused()
        assert page.evaluate("window.sameDocument") is True

        # Reloading a photo's URL gives its own page: the same viewer, which works without the script.
        tiles.nth(0).click()
        page.wait_for_url(live_server.url + photos[0])
        page.reload()
        expect(page.locator("#viewer.viewer-page .viewer-image")).to_be_visible()
        page.locator(".viewer-more summary").click()
        expect(page.locator(".photo-link input")).to_have_value(live_server.url + photos[0])

        assert script_errors == []
        assert policy.violations == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_a_deep_link_opens_the_photo_and_share_copies_its_link(live_server, gallery, width, tmp_path):
    from playwright.sync_api import expect

    photos = _photo_urls(gallery)
    key = photos[7].split("/")[-2]  # on the second page of tiles
    gallery_url = live_server.url + gallery.get_absolute_url()
    # SCREENSHOTS=<dir> keeps them to look at.
    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    with watched_browser({"width": width, "height": 700 if width < 600 else 800}) as (context, policy):
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        context.add_init_script(_NO_SHARE_SHEET)
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))

        page.goto(f"{gallery_url}?photo={key}")
        viewer = page.get_by_role("dialog", name="Photo viewer")
        expect(viewer).to_be_visible()
        page.wait_for_url(live_server.url + photos[7])
        expect(viewer.locator(".viewer-position")).to_have_text(f"8 / {PHOTO_COUNT}")
        image = viewer.locator(".viewer-image")
        expect(image).to_have_attribute("src", re.compile(rf"^/photos/{key}/display\?v=[0-9a-f]{{8}}$"))
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())

        viewer.locator(".viewer-more summary").click()  # the More menu holds Share
        viewer.get_by_role("button", name="Share").click()
        expect(viewer.locator(".share-status")).to_have_text("Link copied")
        assert page.evaluate("navigator.clipboard.readText()") == live_server.url + photos[7]
        page.screenshot(path=screenshots / f"viewer-share-{width}.png")

        # Back leaves the viewer for the gallery, without the parameter that opened it.
        page.go_back()
        expect(viewer).to_be_hidden()
        page.wait_for_url(gallery_url)

        # The photo page's own Share button does the same.
        page.goto(live_server.url + photos[7])
        page.locator(".viewer-more summary").click()
        page.get_by_role("button", name="Share").click()
        expect(page.locator(".share-status")).to_have_text("Link copied")
        assert page.evaluate("navigator.clipboard.readText()") == live_server.url + photos[7]
        if width == 390:
            page.screenshot(path=screenshots / "photo-page-share-390.png")

        assert script_errors == []
        assert policy.violations == []
