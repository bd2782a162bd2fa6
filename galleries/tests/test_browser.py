"""The gallery page in a real browser: infinite scroll and the viewer (static/galleries/gallery.js).

Also the helpers of every browser test: Chromium's options, and `PolicyWatch`, which
collects each Content-Security-Policy violation so that a test can fail on any.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium tries to reach Google's servers, which this network does not allow.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Justified rows of two 4:3 photos (the phone's 110 px rows, grown to the width) under
# the hero, so that one page of tiles ends lower than the viewport plus the scroll
# observer's 800 px margin: the next page must then wait for the visitor to scroll.
VIEWPORT = {"width": 390, "height": 320}
PER_PAGE = 12
PHOTO_COUNT = 26  # pages of 12, 12 and 2
OBSERVER_MARGIN_PX = 800  # rootMargin in gallery.js

IMAGE_LOADED = "image => image.complete && image.naturalWidth > 0"

# Runs in every page before its own scripts: the browser fires the event for every
# resource, script, style or form the policy blocks.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportPolicyViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} ` +
    `at ${event.sourceFile || location.href}:${event.lineNumber} (${event.disposition})`
  );
});
"""


class PolicyWatch:
    """Every Content-Security-Policy violation in the pages of a browser context: the
    pages' securitypolicyviolation events, and Chromium's console messages about the
    policy (which also name what was refused before any script ran)."""

    def __init__(self, context):
        self.violations: list[str] = []
        context.expose_binding("reportPolicyViolation", lambda source, text: self.violations.append(text))
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(f"console {message.type}: {message.text}")


@contextlib.contextmanager
def watched_browser(viewport, **context_options):
    """A browser context in headless Chromium (with Playwright's `context_options`,
    such as device_scale_factor) and the PolicyWatch of its pages."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=viewport, **context_options)
            context.set_default_timeout(10_000)
            yield context, PolicyWatch(context)
        finally:
            browser.close()


@contextlib.contextmanager
def one_browser():
    """One headless Chromium for a test that opens many pages, and a function that opens
    a watched context in it (a viewport, Playwright's `context_options`, and the
    PolicyWatch of its pages): launching a browser for each context cost seconds each.
    No ORM inside the block: it would run on another connection that nothing closes."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)

        @contextlib.contextmanager
        def watched_context(viewport, **context_options):
            context = browser.new_context(viewport=viewport, **context_options)
            context.set_default_timeout(10_000)
            try:
                yield context, PolicyWatch(context)
            finally:
                context.close()

        try:
            yield watched_context
        finally:
            browser.close()


def _chromium_or_skip() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    message = f"{CHROMIUM} is missing; `make browser` installs Debian's Chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.browser
def test_it_scrolls_to_more_photos_and_pages_through_them_in_the_viewer(
    live_server, transactional_db, settings, monkeypatch
):
    executable = _chromium_or_skip()
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    settings.PHOTOS_PER_PAGE = PER_PAGE
    gallery = make_gallery(name="Summer party")
    for n in range(PHOTO_COUNT):
        upload_photo(gallery, content=unique_jpeg(width=320, height=240), filename=f"IMG_{n:04d}.jpg")
    url = live_server.url + gallery.get_absolute_url()
    # Read before Playwright starts: inside its block the ORM would open a connection
    # in another context that nothing closes, and PostgreSQL's test database could not
    # be dropped at the end of the session.
    first_key = gallery.photos.first().key

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            policy = PolicyWatch(context)
            page = context.new_page()
            page.set_default_timeout(10_000)
            script_errors = []
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            error_responses = []
            page.on("response", lambda r: r.ok or error_responses.append(f"{r.status} {r.url}"))

            response = page.goto(url)
            assert response.status == 200
            tiles = page.locator("#photo-grid .tile")

            # The first page of tiles, with real thumbnails, and the next page out of the observer's reach.
            expect(tiles).to_have_count(PER_PAGE)
            first_thumb = tiles.first.locator("img")
            expect(first_thumb).to_have_attribute("src", re.compile(rf"^/photos/{first_key}/thumb\?v=[0-9a-f]{{8}}$"))
            page.wait_for_function(IMAGE_LOADED, arg=first_thumb.element_handle())
            pager_top = page.locator(".pager").evaluate("pager => pager.getBoundingClientRect().top")
            assert pager_top > VIEWPORT["height"] + OBSERVER_MARGIN_PX
            expect(tiles).to_have_count(PER_PAGE)
            page.evaluate("window.sameDocument = true")

            # Scrolling to the bottom fetches the next page's fragment into the same document.
            # The third page is held back until the pager has been read: the wheel's scroll can
            # bring the next page within the observer's reach again as soon as the second is in.
            def third_page(url: str) -> bool:
                return "page=3" in url and "fragment=1" in url

            held, released = [], []

            def hold(route) -> None:
                if released:
                    route.continue_()
                else:
                    held.append(route)

            page.route(third_page, hold)
            with page.expect_response(lambda r: "page=2" in r.url and "fragment=1" in r.url) as fragment:
                page.mouse.wheel(0, 10_000)
            assert fragment.value.status == 200
            expect(tiles).to_have_count(2 * PER_PAGE)
            # The pager says how far the guest has come, not "Page 2 of 3".
            expect(page.locator(".pager-position")).to_have_text(f"{2 * PER_PAGE} of {PHOTO_COUNT} photos")
            released.append(True)
            for route in held:
                route.continue_()
            page.mouse.wheel(0, 10_000)
            expect(tiles).to_have_count(PHOTO_COUNT)
            expect(page.locator(".pager-next")).to_have_count(0)
            expect(page.locator(".pager")).to_have_text(f"All {PHOTO_COUNT} photos shown")
            expect(page.locator(".pager-previous, .pager-position")).to_have_count(0)
            assert page.url == url
            assert page.evaluate("window.sameDocument") is True

            # A tile opens the viewer on its display image.
            viewer = page.locator("#viewer")
            image = viewer.locator(".viewer-image")
            position = viewer.locator(".viewer-position")
            displays = tiles.evaluate_all("tiles => tiles.map(tile => tile.dataset.display)")
            expect(viewer).to_be_hidden()
            tiles.nth(0).click()
            expect(viewer).to_be_visible()
            assert viewer.evaluate("dialog => dialog.open") is True
            expect(image).to_have_attribute("src", displays[0])
            expect(position).to_have_text(f"1 / {PHOTO_COUNT}")
            page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())

            # The next button, then the right arrow key, move on one photo each.
            viewer.locator(".viewer-next").click()
            expect(image).to_have_attribute("src", displays[1])
            expect(position).to_have_text(f"2 / {PHOTO_COUNT}")
            page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())

            page.keyboard.press("ArrowRight")
            expect(image).to_have_attribute("src", displays[2])
            expect(position).to_have_text(f"3 / {PHOTO_COUNT}")
            page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
            assert len(set(displays[:3])) == 3

            # Escape closes the viewer and gives focus back to the photo it showed.
            page.keyboard.press("Escape")
            expect(viewer).to_be_hidden()
            assert viewer.evaluate("dialog => dialog.open") is False
            expect(tiles.nth(2)).to_be_focused()

            assert script_errors == []
            assert error_responses == []
            assert policy.violations == []
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_viewer_says_which_guest_added_a_photo(live_server, transactional_db, monkeypatch, tmp_path, width):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    from galleries.models import Photo

    gallery = make_gallery(name="Summer party")
    upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename="IMG_0001.jpg")
    guests = upload_photo(gallery, content=unique_jpeg(width=320, height=480), filename="IMG_0002.jpg")
    Photo.objects.filter(pk=guests.pk).update(guest_name="Ann")
    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)

    with watched_browser({"width": width, "height": 800}) as (context, policy):
        page = context.new_page()
        page.goto(live_server.url + gallery.get_absolute_url())
        page.locator("#photo-grid .tile").first.click()
        viewer = page.get_by_role("dialog", name="Photo viewer")
        caption = viewer.locator(".viewer-caption")
        expect(viewer).to_be_visible()
        expect(caption).to_be_hidden()

        viewer.locator(".viewer-next").click()

        expect(caption).to_be_visible()
        expect(caption).to_have_text("Added by Ann")
        page.wait_for_timeout(300)
        page.screenshot(path=screenshots / f"viewer-added-by-{width}.png")
        viewer.locator(".viewer-previous").click()
        expect(caption).to_be_hidden()
        assert policy.violations == []
