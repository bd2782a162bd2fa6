"""Find me in a real browser on a phone-sized screen: consent, a selfie through the file
input, the "Searching…" state (static/faces/find-me.js), the results with the box on the
face, and Back, Forward and reload around the results without sending the selfie again.

With FIND_ME_SCREENSHOTS=<folder>, the form and the results are saved there at 390 and
1280 pixels wide, to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import CHROMIUM_ARGS, IMAGE_LOADED, PolicyWatch, _chromium_or_skip

PHONE = {"width": 390, "height": 844}
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]


@pytest.mark.browser
def test_a_guest_finds_themselves_with_a_selfie(live_server, transactional_db, monkeypatch, tmp_path):
    executable = _chromium_or_skip()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery = face_search_gallery(name="Summer party")
    group = face_images.group_photo()
    photo = upload_photo(gallery, content=jpeg(group), filename="IMG_0001.jpg")  # indexed at once: no transaction
    assert photo.faces.count() == 6
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(jpeg(selfie_of(group, CENTRE, face_px=110)))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE)
            policy = PolicyWatch(context)
            page = context.new_page()
            # Every selfie sent, and any dialog (a resubmission prompt would be one).
            posts, dialogs = [], []
            page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(live_server.url + gallery.get_absolute_url())
            page.get_by_role("link", name="Find me").click()
            expect(page).to_have_url(live_server.url + find_me_url(gallery))
            expect(page.get_by_text("It is never stored")).to_be_visible()

            page.get_by_label("Your selfie").set_input_files(str(selfie))
            expect(page.locator(".selfie-preview")).to_be_visible()
            page.get_by_label("I agree").check()
            # A listener after the page's own holds the form back, to see what the guest
            # sees while the server looks; the form is then sent as the browser would.
            page.evaluate(
                """() => document.querySelector(".selfie-form").addEventListener("submit", (event) => {
                    const button = event.target.querySelector("button[type=submit]");
                    const status = event.target.querySelector(".find-me-status");
                    window.seenWhileSending = [button.textContent, button.disabled, status.textContent];
                    event.preventDefault();
                })"""
            )
            _screenshot(page, "form")
            page.get_by_role("button", name="Find me").click()
            assert page.evaluate("() => window.seenWhileSending") == [
                "Searching…",
                True,
                "Looking for you in the photos. This takes a few seconds.",
            ]
            page.evaluate("() => document.querySelector('.selfie-form').submit()")

            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible()
            image = page.locator(".match-photo img")
            page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
            shown = image.bounding_box()
            box = page.locator(".face-box").bounding_box()
            # The box sits on the face of the person searched for, on the photo as shown.
            x = shown["x"] + shown["width"] * CENTRE[0] / group.width
            y = shown["y"] + shown["height"] * CENTRE[1] / group.height
            assert box["x"] <= x <= box["x"] + box["width"]
            assert box["y"] <= y <= box["y"] + box["height"]
            assert box["width"] < shown["width"] / 5
            results_url = page.url
            assert results_url.startswith(live_server.url + f"/g/{gallery.slug}/find-me/results/?r=")
            assert posts == [live_server.url + find_me_url(gallery)]
            _screenshot(page, "results")

            # Back is the form again, Forward and reload the results: nothing is sent again.
            page.go_back()
            expect(page).to_have_url(live_server.url + find_me_url(gallery))
            expect(page.get_by_role("button", name="Find me")).to_be_enabled()
            page.go_forward()
            expect(page).to_have_url(results_url)
            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible()
            page.reload()
            expect(page).to_have_url(results_url)
            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible()
            assert len(posts) == 1
            assert dialogs == []

            # The consent is remembered: searching again needs only the selfie.
            expect(page.get_by_label("I agree")).to_have_count(0)
            page.get_by_label("Your selfie").set_input_files(str(selfie))
            page.get_by_role("button", name="Find me").click()
            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible()
            assert page.url.startswith(live_server.url + f"/g/{gallery.slug}/find-me/results/?r=")
            assert len(posts) == 2
            page.go_back()
            expect(page).to_have_url(results_url)  # the first results, not the search
            assert len(posts) == 2
            assert dialogs == []

            # The selfie's preview (a blob: URL), the results' face boxes: all under the policy.
            assert policy.violations == []
        finally:
            browser.close()


def _screenshot(page, name: str) -> None:
    """The page at a phone's and a computer's width, into FIND_ME_SCREENSHOTS if set."""
    folder = os.environ.get("FIND_ME_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": viewport["height"]})
        page.screenshot(path=str(Path(folder) / f"find-me-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(viewport)
