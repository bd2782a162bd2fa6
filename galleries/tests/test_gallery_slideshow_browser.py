"""The live slideshow in a real browser (static/galleries/slideshow.js): a photo on
screen with the gallery's QR code, a photo added while it runs shown without a reload,
the controls, and a page that keeps two <img> elements however long it runs, under the
Content-Security-Policy: on a projector (1280x720, then 1920x1080) and on a phone held
upright (390x844), where a guest may open it. The fast one goes round on the projector
only: how long it runs does not depend on the screen. SCREENSHOTS=<folder> keeps its pictures."""

import io
import os
import re
import threading
from pathlib import Path

import pytest
from django.db import connection

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser

SHOWN_IMAGE_LOADED = """root => {
  const image = root.querySelector(".slide.is-shown");
  return image !== null && image.complete && image.naturalWidth > 0;
}"""


def _upload_in_another_thread(gallery, **kwargs):
    """A photo as the worker finishes it, while the browser runs: the ORM in a thread of
    its own, whose connection is closed after (Playwright's block would leave one open)."""
    made = {}

    def upload():
        try:
            made["photo"] = upload_photo(gallery, **kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=upload)
    thread.start()
    thread.join()
    return made["photo"]


def _decoded_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return results[0].text if results else ""


SCREENS = {"projector": {"width": 1280, "height": 720}, "phone": {"width": 390, "height": 844}}


@pytest.mark.browser
@pytest.mark.parametrize("screen", SCREENS)
def test_it_shows_the_photos_takes_in_new_ones_and_stays_bounded(
    live_server, transactional_db, settings, monkeypatch, tmp_path, screen
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    settings.SLIDESHOW_INTERVAL_S = 60  # still, until the test speeds it up
    settings.SLIDESHOW_POLL_S = 0.3
    gallery = make_gallery(name="Summer party", slug="summer-party")
    for number in range(3):
        upload_photo(gallery, content=unique_jpeg(width=1200, height=800), filename=f"IMG_{number}.jpg")
    upload_photo(gallery, content=unique_jpeg(width=600, height=900), filename="IMG_portrait.jpg")
    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    url = live_server.url + "/g/summer-party/slideshow/"
    viewport = SCREENS[screen]
    size = f"{viewport['width']}x{viewport['height']}"

    with watched_browser(viewport) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        polls = []
        page.on("response", lambda r: "/slideshow/photos" in r.url and polls.append(r.status))

        assert page.goto(url).status == 200
        root = page.locator("#slideshow")
        page.wait_for_function(SHOWN_IMAGE_LOADED, arg=root.element_handle())
        page.evaluate("window.sameDocument = true")

        # The QR code in its corner holds the gallery's address; the short link is under it.
        qr = page.locator(".slideshow-qr svg")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box["width"] >= 120
        assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
        assert _decoded_qr(qr.screenshot()) == live_server.url + "/g/summer-party/"
        link = page.locator(".slideshow-link")
        assert link.inner_text().endswith("/g/summer-party")
        # On one line: a short link broken mid-word is hard to type.
        assert link.bounding_box()["height"] < 1.5 * float(link.evaluate("e => getComputedStyle(e).lineHeight")[:-2])
        # The photo shown fits the screen, without scrolling.
        shown_box = page.locator(".slide.is-shown").bounding_box()
        assert shown_box["x"] >= -1 and shown_box["x"] + shown_box["width"] <= viewport["width"] + 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=screenshots / f"slideshow-{size}.png")

        # Polls find nothing new: 304s.
        page.wait_for_timeout(1200)
        assert 304 in polls

        # A photo finished by the worker shows next, without a reload.
        # The first answer that names the photo (an earlier 200 may be the polls' look-back),
        # then a moment for the page's script to read it before the key is pressed.
        arrived = {}

        def names_the_new_photo(response):
            if "/slideshow/photos" not in response.url or response.status != 200:
                return False
            return arrived.get("key", "-") in response.text()

        with page.expect_response(names_the_new_photo, timeout=15000):
            new = _upload_in_another_thread(gallery, content=unique_jpeg(width=1200, height=800), filename="new.jpg")
            arrived["key"] = str(new.key)
        page.wait_for_timeout(500)
        page.keyboard.press("ArrowRight")  # its turn comes, ahead of the others
        page.wait_for_function(
            "([root, key]) => root.dataset.shownKey === key", arg=[root.element_handle(), str(new.key)], timeout=5000
        )
        expect(page.locator(".slide.is-shown")).to_have_attribute(
            "src", re.compile(rf"^/photos/{new.key}/display\?v=[0-9a-f]{{8}}$")
        )
        page.wait_for_function(SHOWN_IMAGE_LOADED, arg=root.element_handle())
        assert page.evaluate("window.sameDocument") is True

        # Many advances, by key and by timer: still two images, and no more elements than before.
        elements = page.evaluate("document.getElementsByTagName('*').length")
        shown = set()
        for _ in range(40):
            page.keyboard.press("ArrowRight")
            shown.add(root.get_attribute("data-shown-key"))
        for _ in range(10):
            page.keyboard.press("ArrowLeft")
        assert len(shown) == 5
        assert page.evaluate("document.images.length") == 2
        assert page.evaluate("document.getElementsByTagName('*').length") == elements

        # Space pauses; space again plays.
        page.keyboard.press(" ")
        expect(page.locator(".slideshow-status")).to_have_text("Paused")
        paused_on = root.get_attribute("data-shown-key")
        page.wait_for_timeout(500)
        assert root.get_attribute("data-shown-key") == paused_on
        page.keyboard.press(" ")
        expect(page.locator(".slideshow-status")).to_have_text("Playing")

        # F fills the screen, and F again leaves it.
        page.keyboard.press("f")
        page.wait_for_function("() => document.fullscreenElement === document.documentElement")
        page.keyboard.press("f")
        page.wait_for_function("() => document.fullscreenElement === null")

        if screen == "projector":
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_function(SHOWN_IMAGE_LOADED, arg=root.element_handle())
            page.wait_for_timeout(1500)  # the crossfade's end
            page.screenshot(path=screenshots / "slideshow-1920x1080.png")

        assert script_errors == []
        assert policy.violations == []


@pytest.mark.browser
def test_a_fast_slideshow_goes_round_for_long_with_two_images(live_server, transactional_db, settings, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SLIDESHOW_INTERVAL_S = 0.05
    settings.SLIDESHOW_POLL_S = 0.2
    gallery = make_gallery(slug="fast")
    for number in range(4):
        upload_photo(gallery, content=unique_jpeg(width=320, height=240), filename=f"IMG_{number}.jpg")

    with watched_browser({"width": 1280, "height": 720}) as (context, policy):
        page = context.new_page()
        page.goto(live_server.url + "/g/fast/slideshow/")
        page.evaluate("""() => {
          window.seen = new Set();
          new MutationObserver(() => window.seen.add(document.getElementById("slideshow").dataset.shownKey))
            .observe(document.getElementById("slideshow"), {attributes: true});
        }""")
        page.wait_for_timeout(3000)  # some 60 advances
        assert page.evaluate("window.seen.size") == 4
        assert page.evaluate("document.images.length") == 2
        assert policy.violations == []
