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

# The share of the photo on screen (its letterboxed picture, not its element) that the QR card hides.
QR_CARD_ON_PHOTO = """() => {
  const image = document.querySelector(".slide.is-shown");
  const box = image.getBoundingClientRect();
  const scale = Math.min(box.width / image.naturalWidth, box.height / image.naturalHeight);
  const width = image.naturalWidth * scale, height = image.naturalHeight * scale;
  const photo = {left: box.left + (box.width - width) / 2, top: box.top + (box.height - height) / 2, width, height};
  const card = document.querySelector(".slideshow-share").getBoundingClientRect();
  const overlapX = Math.max(0, Math.min(photo.left + photo.width, card.right) - Math.max(photo.left, card.left));
  const overlapY = Math.max(0, Math.min(photo.top + photo.height, card.bottom) - Math.max(photo.top, card.top));
  return {
    covered: overlapX * overlapY / (photo.width * photo.height),
    card: card.width * card.height / (innerWidth * innerHeight),
  };
}"""


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
        assert box["width"] >= (120 if screen == "projector" else 80)
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
        # Small beside each photo, landscape or portrait: well under a tenth of it, and of the screen.
        page.screenshot(path=screenshots / f"slideshow-{size}.png")
        for _ in range(4):
            cover = page.evaluate(QR_CARD_ON_PHOTO)
            assert cover["covered"] < 0.05 and cover["card"] < 0.08, cover
            shown_key = root.get_attribute("data-shown-key")
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([root, key]) => root.dataset.shownKey !== key", arg=[root.element_handle(), shown_key]
            )
            page.wait_for_function(SHOWN_IMAGE_LOADED, arg=root.element_handle())

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
            cover = page.evaluate(QR_CARD_ON_PHOTO)
            assert cover["covered"] < 0.05 and cover["card"] < 0.05, cover
            page.mouse.move(300, 300)
            page.mouse.move(310, 310)
            expect(page.locator(".slideshow-controls")).to_have_css("opacity", "1")
            page.wait_for_timeout(400)  # the controls' fade
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


def _touch_swipe(page, cdp, *, from_x, to_x, y):
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": from_x, "y": y}]})
    for step in range(1, 6):
        x = from_x + (to_x - from_x) * step / 5
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.browser
def test_on_a_phone_its_controls_and_way_out_answer_a_touch(live_server, transactional_db, settings, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    settings.SLIDESHOW_INTERVAL_S = 0.6
    settings.SLIDESHOW_POLL_S = 30
    gallery = make_gallery(name="Summer party", slug="summer-party")
    for number in range(4):
        upload_photo(gallery, content=unique_jpeg(width=1200, height=800), filename=f"IMG_{number}.jpg")
    url = live_server.url + "/g/summer-party/slideshow/"
    phone = {"width": 390, "height": 844}

    with watched_browser(phone, has_touch=True, is_mobile=True, device_scale_factor=2) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(url)
        root = page.locator("#slideshow")
        page.wait_for_function(SHOWN_IMAGE_LOADED, arg=root.element_handle())
        controls = page.locator(".slideshow-controls")
        exit_link = page.get_by_role("link", name="Back to the gallery")
        pause = page.locator('[data-action="pause"]')

        # Shown at the start, each a 44 px target on screen, clear of the QR card.
        expect(controls).to_have_css("opacity", "1")
        card = page.locator(".slideshow-share").bounding_box()
        previous, next_photo = page.get_by_role("button", name="Previous photo"), page.locator('[data-action="next"]')
        for control in (exit_link, pause, previous, next_photo):
            box = control.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44
            assert box["x"] >= 0 and box["x"] + box["width"] <= phone["width"] and box["y"] >= 0
            assert box["y"] + box["height"] <= card["y"] or box["x"] + box["width"] <= card["x"]

        # Pause holds the photo; a tap on next goes on by one.
        pause.tap()
        expect(pause).to_have_attribute("aria-pressed", "true")
        expect(pause).to_have_accessible_name("Play")
        held = root.get_attribute("data-shown-key")
        page.wait_for_timeout(1500)
        assert root.get_attribute("data-shown-key") == held
        next_photo.tap()
        page.wait_for_function("([root, key]) => root.dataset.shownKey !== key", arg=[root.element_handle(), held])

        # A tap on the photo hides the controls, another shows them again.
        page.wait_for_timeout(200)
        page.touchscreen.tap(195, 420)
        expect(controls).to_have_css("opacity", "0")
        page.touchscreen.tap(195, 420)
        expect(controls).to_have_css("opacity", "1")

        # A swipe to the left goes to the next photo, one to the right back.
        cdp = context.new_cdp_session(page)
        before = root.get_attribute("data-shown-key")
        _touch_swipe(page, cdp, from_x=320, to_x=80, y=420)
        page.wait_for_function("([root, key]) => root.dataset.shownKey !== key", arg=[root.element_handle(), before])
        _touch_swipe(page, cdp, from_x=80, to_x=320, y=420)
        page.wait_for_function("([root, key]) => root.dataset.shownKey === key", arg=[root.element_handle(), before])

        # The way out (the controls stay while the slideshow is paused).
        page.wait_for_timeout(3500)
        expect(controls).to_have_css("opacity", "1")
        exit_link.tap()
        page.wait_for_url(live_server.url + "/g/summer-party/")
        assert script_errors == []
        assert policy.violations == []

    # Without JavaScript the way out is there all along; the buttons that need the script are not.
    with watched_browser(phone, has_touch=True, is_mobile=True, java_script_enabled=False) as (context, policy):
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("link", name="Back to the gallery")).to_be_visible()
        expect(page.locator(".slideshow-controls")).to_have_css("opacity", "1")
        expect(page.locator(".slideshow-buttons")).to_be_hidden()
