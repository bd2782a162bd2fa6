"""Hide photos of me in a real browser, on a phone (390 px) and a desktop (1280 px): Find me with a real face
photo, the results, "Select all" (static/faces/hide-me.js) and the request, and the
photos gone from the gallery page.

With HIDE_ME_SCREENSHOTS=<folder>, the results with the form, the results after the
request and the privacy page are saved there at 390 and 1280 pixels wide, to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from faces.tests import face_images
from faces.tests.face_images import another_photo_of
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from faces.tests.hide_me import AROUND_THE_CENTRE, CENTRE
from galleries.models import Photo
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import CHROMIUM_ARGS, PolicyWatch, _chromium_or_skip

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.browser
@pytest.mark.parametrize("screen", SCREENS)
def test_a_guest_hides_the_photos_they_are_in(live_server, transactional_db, monkeypatch, tmp_path, screen, settings):
    executable = _chromium_or_skip()
    # Both photos at once: within the budget of photos a device hides at once.
    settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR = 2
    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 2
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery = face_search_gallery(name="Summer party", privacy_contact="privacy@summer.example")
    group = face_images.group_photo()
    # Processed and indexed at once: no transaction around them.
    photos = [
        upload_photo(gallery, content=jpeg(group), filename="IMG_0001.jpg"),
        upload_photo(gallery, content=jpeg(group.crop(AROUND_THE_CENTRE)), filename="IMG_0002.jpg"),
        upload_photo(gallery, content=jpeg(face_images.table()), filename="IMG_0003.jpg"),
    ]
    assert photos[0].faces.count() == 6
    selfie = tmp_path / "selfie.jpg"
    # Taken with a camera: a copy of a gallery photo could not hide photos.
    selfie.write_bytes(jpeg(another_photo_of(group, CENTRE)))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=SCREENS[screen])
            policy = PolicyWatch(context)
            page = context.new_page()
            script_errors = []
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            page.goto(live_server.url + gallery.get_absolute_url())
            expect(page.locator("#photo-grid .tile")).to_have_count(3)

            page.goto(live_server.url + find_me_url(gallery))
            page.get_by_label("Your selfie").set_input_files(str(selfie))
            page.get_by_label("I agree").check()
            page.get_by_role("button", name="Find me").click()
            expect(page.get_by_role("heading", name="Hide photos of me")).to_be_visible()
            boxes = page.locator("[data-hide-photo]")
            expect(boxes).to_have_count(2)
            _screenshot(page, "results")

            # "Select all" ticks every photo found (and is there only with the script).
            page.get_by_label("Select all").check()
            assert [boxes.nth(i).is_checked() for i in range(2)] == [True, True]
            boxes.nth(1).uncheck()
            expect(page.get_by_label("Select all")).not_to_be_checked()
            page.get_by_label("Select all").check()
            page.get_by_label("Your email or phone").fill("guest@example.com")
            page.get_by_role("button", name="Hide the photos I ticked").click()

            expect(
                page.get_by_text("Done: 2 photos are hidden from the gallery: they no longer appear here.")
            ).to_be_visible()
            expect(page.get_by_text("We did not find you in the photos")).to_be_visible()
            _screenshot(page, "done")

            # The gallery page (cached before) shows only the photo without them.
            page.goto(live_server.url + gallery.get_absolute_url())
            expect(page.locator("#photo-grid .tile")).to_have_count(1)
            table_key = str(Photo.objects.get(pk=photos[2].pk).key)
            assert table_key in page.locator("#photo-grid .tile").get_attribute("href")

            page.goto(live_server.url + f"/g/{gallery.slug}/privacy/")
            expect(page.get_by_role("heading", name="Find me and your privacy")).to_be_visible()
            expect(page.get_by_text("privacy@summer.example")).to_be_visible()
            _screenshot(page, "privacy")

            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            # The ORM's connection of this block (Playwright's event loop runs in this thread).
            connection.close()
            assert script_errors == []
            assert policy.violations == []
        finally:
            browser.close()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("HIDE_ME_SCREENSHOTS")
    if not folder or page.viewport_size["width"] != 390:  # once, from the phone's run
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": viewport["height"]})
        page.screenshot(path=str(Path(folder) / f"hide-me-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(viewport)
