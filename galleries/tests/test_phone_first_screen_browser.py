"""A phone's first screen of a gallery shows photos, in a real browser (issue 21, point 3).

At 390 x 844 the hero holds the name and one action (Find me where it is on), the other
actions are in a bar of 44 px targets that stays at the top of the screen while the
photos scroll (CSS only: it stays without JavaScript too), and the first row of photos
starts within the first screen. Nothing moves once the page has loaded (the share
button that its script shows keeps its room). The page's inline stylesheet is allowed
by the Content-Security-Policy. On a wide screen, the hero's text keeps off the faces
when the cover's focal point says where they are.

With SCREENSHOTS=<folder>, the first screen and a scrolled one are saved there."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TOUCH_TARGET_PX = 44

# Every layout shift since the page started, as the browser reports them.
_WATCH_SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShifts.push(entry.value);
}).observe({ type: "layout-shift", buffered: true });
"""
_BOX = "element => element.getBoundingClientRect().toJSON()"


def _wedding(**fields) -> Gallery:
    gallery = make_gallery(
        name="Anna & Tom's wedding",
        event_date=datetime.date(2026, 6, 20),
        description="Thank you for celebrating with us at the lake. Keep your favourites, and add your own photos.",
        guest_uploads=[value for value in Gallery.GuestUploads.values if value != Gallery.GuestUploads.OFF][0],
        **fields,
    )
    for n in range(20):
        size = {"width": 480, "height": 320} if n % 3 else {"width": 320, "height": 480}
        upload_photo(gallery, content=unique_jpeg(**size), filename=f"IMG_{n:04d}.jpg")
    # On after processing: these plain photos have no faces to index.
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)
    gallery.refresh_from_db()
    return gallery


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_it_shows_the_first_photos_under_one_action_and_keeps_the_bar_on_screen(
    live_server, transactional_db, monkeypatch, javascript
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = _wedding()
    url = live_server.url + gallery.get_absolute_url()

    with watched_browser(PHONE, java_script_enabled=javascript, has_touch=True, is_mobile=True) as (context, policy):
        context.add_init_script(_WATCH_SHIFTS)
        page = context.new_page()
        assert page.goto(url).status == 200
        page.wait_for_load_state("networkidle")
        _screenshot(page, f"phone-top-{'js' if javascript else 'nojs'}")

        # The hero's one action is Find me; the others are in the bar, none of them in both.
        hero_actions = page.locator(".hero .hero-actions a, .hero .hero-actions button")
        assert hero_actions.all_inner_texts() == ["Find me"]
        bar = page.locator(".action-bar")
        targets = bar.locator("a:visible, button:visible, summary:visible")
        bar_labels = [text.split("\n")[0].strip() for text in targets.all_inner_texts()]
        assert {"Download", "Add photos", "My favourites", "Slideshow"} <= set(bar_labels)
        assert "Find me" not in bar_labels
        # Each of the bar's targets is big enough for a thumb, and the bar fits the screen.
        for target in targets.all():
            box = target.evaluate(_BOX)
            assert box["width"] >= TOUCH_TARGET_PX and box["height"] >= TOUCH_TARGET_PX, (target.inner_text(), box)
            assert box["left"] >= 0 and box["right"] <= PHONE["width"], (target.inner_text(), box)

        # The first row of photos starts within the first screen.
        first_tile = page.locator("#photo-grid .tile-box").first.evaluate(_BOX)
        assert first_tile["top"] < PHONE["height"], first_tile
        assert bar.evaluate(_BOX)["bottom"] < first_tile["top"]

        # Scrolled down the photos, the bar is at the top of the screen, over them.
        page.evaluate("window.scrollTo(0, 700)")
        page.wait_for_function("() => window.scrollY === 700")
        stuck = bar.evaluate(_BOX)
        assert stuck["top"] == 0 and stuck["height"] >= TOUCH_TARGET_PX
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('.action-bar') !== null",
            [PHONE["width"] / 2, stuck["height"] / 2],
        )
        assert on_top
        _screenshot(page, f"phone-scrolled-{'js' if javascript else 'nojs'}")

        if javascript:
            # The share button its script shows took the room kept for it: nothing moved.
            assert page.locator(".action-bar .share-button").is_visible()
            assert page.evaluate("window.layoutShifts") == []
        assert policy.violations == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("focal", "placement"),
    [((50, 85), "top"), ((15, 50), "end"), ((85, 50), "start"), ((50, 40), "bottom")],
)
def test_on_a_wide_screen_the_hero_text_keeps_off_the_faces(
    live_server, transactional_db, monkeypatch, focal, placement
):
    """The cover's focal point (galleries/focal.py) is where its faces are: the text goes to the other side."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Summer party")
    cover = upload_photo(gallery, content=unique_jpeg(width=1200, height=800), filename="IMG_0001.jpg")
    Gallery.objects.filter(pk=gallery.pk).update(cover=cover, cover_focal_x=focal[0], cover_focal_y=focal[1])
    url = live_server.url + gallery.get_absolute_url()

    with watched_browser(DESKTOP) as (context, policy):
        page = context.new_page()
        assert page.goto(url).status == 200
        hero = page.locator(".hero").evaluate(_BOX)
        text = page.locator(".hero-text").evaluate(_BOX)
        middle_y = (text["top"] + text["bottom"]) / 2
        hero_middle_x, hero_middle_y = (hero["left"] + hero["right"]) / 2, (hero["top"] + hero["bottom"]) / 2
        if placement == "top":
            assert middle_y < hero_middle_y
        elif placement == "bottom":
            assert middle_y > hero_middle_y
        elif placement == "end":  # faces on the left: the text on the right
            assert text["left"] >= hero_middle_x - 1
        else:
            assert text["right"] <= hero_middle_x + 1
        if placement in ("start", "end"):
            # The text stands wholly on its half, with the faces' half left clear.
            assert abs(middle_y - hero_middle_y) < hero["height"] / 4
        _screenshot(page, f"desktop-hero-{placement}")
        assert policy.violations == []
