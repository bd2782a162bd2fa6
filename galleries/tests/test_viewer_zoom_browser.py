"""The viewer's zoom, gestures, keys and file name in a real browser (static/galleries/viewer.js,
templates/galleries/_viewer.html), on the gallery page and on the photo page that a reloaded
viewer address shows. One browser and one page walk through it all, on a touch screen
(Chrome's own touch events: taps, swipes and a two-finger pinch) and with a mouse."""

import re

import pytest

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

NAMES = ["IMG_0000.jpg", "IMG_0001.jpg", "Sunset by the lake, a long file name from a phone.jpg", "IMG_0003.jpg"]
ZOOM = "document.getElementById('viewer').dataset.zoom || '1.00'"
KIND = re.compile(r"/photos/[0-9a-f-]{36}/(thumb|middle|display)\?")


@pytest.fixture
def gallery(transactional_db, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Summer party")
    # The first is large enough to have every size: a phone's viewer starts on a small one.
    upload_photo(gallery, content=unique_jpeg(width=1800, height=1200), filename=NAMES[0])
    for name in NAMES[1:]:
        upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename=name)
    return gallery


def _kind(image) -> str:
    return KIND.search(image.evaluate("img => img.currentSrc")).group(1)


def _zoom(page) -> float:
    return float(page.evaluate(ZOOM))


def _centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _touch(cdp, kind, *points):
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]},
    )


def _swipe(cdp, x, y, dx):
    _touch(cdp, "touchStart", (x, y))
    for n in range(1, 6):
        _touch(cdp, "touchMove", (x + dx * n / 5, y))
    _touch(cdp, "touchEnd")


def _pinch(cdp, x, y, start, end):
    """Two fingers `start` px apart around (x, y), moved to `end` px apart."""
    _touch(cdp, "touchStart", (x - start / 2, y), (x + start / 2, y))
    for n in range(1, 9):
        half = (start + (end - start) * n / 8) / 2
        _touch(cdp, "touchMove", (x - half, y), (x + half, y))
    _touch(cdp, "touchEnd")


def _double_tap(page, x, y):
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(60)
    page.touchscreen.tap(x, y)


@pytest.mark.browser
def test_the_viewer_zooms_pans_and_steps_on_a_phone_and_with_a_mouse(live_server, gallery):
    from playwright.sync_api import expect

    gallery_url = live_server.url + gallery.get_absolute_url()
    keys = list(gallery.photos.ready().in_display_order().values_list("key", flat=True))
    photos = [f"{live_server.url}/g/{gallery.slug}/p/{key}/" for key in keys]
    with watched_browser({"width": 390, "height": 700}, has_touch=True, is_mobile=True) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        cdp = context.new_cdp_session(page)
        page.goto(gallery_url)
        page.wait_for_load_state()
        page.locator("#photo-grid .tile").first.tap()
        viewer = page.get_by_role("dialog", name="Photo viewer")
        expect(viewer).to_be_visible()
        image = viewer.locator(".viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())

        # The file name and the position head the viewer; four controls in its bar.
        expect(viewer.locator(".viewer-name")).to_have_text(NAMES[0])
        expect(viewer.locator(".viewer-position")).to_have_text("1 / 4")
        assert viewer.locator(".viewer-actions > :visible").count() == 4
        assert _kind(image) == "thumb"  # 390 px wide at one device pixel per CSS pixel

        # Whole, a swipe steps; double taps zoom to between 2x and 3x and back.
        x, y = _centre(viewer.locator(".viewer-stage"))
        _swipe(cdp, x + 100, y, -200)
        expect(viewer.locator(".viewer-name")).to_have_text(NAMES[1])
        expect(viewer.locator(".viewer-position")).to_have_text("2 / 4")
        _swipe(cdp, x - 100, y, 200)
        expect(viewer.locator(".viewer-position")).to_have_text("1 / 4")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())

        _double_tap(page, x, y)
        page.wait_for_function(f"parseFloat({ZOOM}) >= 2")
        assert 2 <= _zoom(page) <= 3
        # Drawn larger than the small size it showed, the photo is loaded in a larger one.
        page.wait_for_function("img => !/\\/thumb\\?/.test(img.currentSrc) && img.complete", arg=image.element_handle())
        assert _kind(image) in ("middle", "display")

        # Zoomed, a swipe pans the photo and stays on it.
        before = image.bounding_box()["x"]
        _swipe(cdp, x, y, -150)
        assert image.bounding_box()["x"] < before
        page.wait_for_timeout(300)  # a step would have happened by now
        expect(viewer.locator(".viewer-position")).to_have_text("1 / 4")
        _double_tap(page, x, y)
        page.wait_for_function(f"parseFloat({ZOOM}) === 1")

        # Two fingers pinch to zoom, never past 3x; 0 puts the photo back whole.
        _pinch(cdp, x, y, 60, 200)
        assert 2 <= _zoom(page) <= 3
        _pinch(cdp, x, y, 40, 380)
        assert _zoom(page) == 3
        page.keyboard.press("0")
        assert _zoom(page) == 1

        # Keys: + zooms, Escape first resets the zoom then closes; the arrows step.
        page.keyboard.press("+")
        assert _zoom(page) > 1
        page.keyboard.press("Escape")
        assert _zoom(page) == 1
        expect(viewer).to_be_visible()
        page.keyboard.press("ArrowRight")
        expect(viewer.locator(".viewer-position")).to_have_text("2 / 4")
        page.keyboard.press("ArrowRight")
        expect(viewer.locator(".viewer-name")).to_have_text(NAMES[2])
        page.wait_for_url(photos[2])

        # A reloaded viewer address is the same viewer, rendered by the server.
        page.reload()
        photo_viewer = page.locator("#viewer.viewer-page")
        expect(photo_viewer).to_be_visible()
        expect(photo_viewer.locator(".viewer-name")).to_have_text(NAMES[2])
        expect(photo_viewer.locator(".viewer-position")).to_have_text("3 / 4")
        image = photo_viewer.locator(".viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
        box = image.bounding_box()
        assert box["width"] == pytest.approx(390, abs=1) and box["y"] >= 50
        assert page.evaluate("document.elementFromPoint(10, 10).closest('#viewer') !== null")  # over the page
        for width in (320, 390):
            page.set_viewport_size({"width": width, "height": 700})
            photo_viewer.locator(".viewer-more summary").click()
            link = photo_viewer.locator(".photo-link input")
            expect(link).to_be_visible()
            link_box = link.bounding_box()
            assert link_box["x"] >= 0 and link_box["x"] + link_box["width"] <= width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            close = photo_viewer.locator(".viewer-close").bounding_box()
            assert close["x"] + close["width"] <= width
            page.keyboard.press("Escape")  # closes the menu, stays on the photo
            expect(link).to_be_hidden()
        assert page.url == photos[2]

        # There too: zoom, then a swipe that steps to the next photo's page when whole.
        x, y = _centre(photo_viewer.locator(".viewer-stage"))
        _double_tap(page, x, y)
        page.wait_for_function(f"parseFloat({ZOOM}) >= 2")
        _swipe(cdp, x, y, -150)
        page.wait_for_timeout(300)
        assert page.url == photos[2]
        page.keyboard.press("0")
        _swipe(cdp, x + 100, y, -200)
        page.wait_for_url(photos[3])
        expect(page.locator("#viewer .viewer-name")).to_have_text(NAMES[3])
        # The previous photo's page replaced it, as the gallery's viewer does: Back leaves for the gallery.
        page.go_back()
        page.wait_for_url(gallery_url)

        # A mouse: the wheel zooms where it points, a click zooms in and out.
        page.set_viewport_size({"width": 1280, "height": 800})
        page.locator("#photo-grid .tile").first.click()
        image = viewer.locator(".viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
        x, y = _centre(image)
        page.mouse.move(x + 50, y + 30)
        page.mouse.wheel(0, -300)
        page.wait_for_function(f"parseFloat({ZOOM}) > 1.5")
        page.mouse.wheel(0, 2000)
        page.wait_for_function(f"parseFloat({ZOOM}) === 1")
        page.mouse.click(x, y)
        page.wait_for_function(f"parseFloat({ZOOM}) >= 2")
        page.mouse.click(x, y)
        page.wait_for_function(f"parseFloat({ZOOM}) === 1")
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
        page.wait_for_url(gallery_url)

        assert script_errors == []
        assert policy.violations == []
