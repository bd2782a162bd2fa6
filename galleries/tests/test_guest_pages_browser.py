"""Every page a guest sees, in a real browser under the Content-Security-Policy: the
home page, a gallery with its viewer, a photo's page, a private gallery's access code,
Find me with the selfie's preview, and a page that is not there. Any policy violation
fails the test."""

import re

import pytest

from faces.tests.find_me import face_search_gallery
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

PHONE = {"width": 390, "height": 844}
INLINE_SCRIPT = """() => new Promise((resolve) => {
    document.addEventListener("securitypolicyviolation", resolve, { once: true });
    const script = document.createElement("script");
    script.textContent = "window.inlineScriptRan = true";
    document.body.append(script);
})"""


@pytest.mark.browser
def test_a_guest_walks_every_page_under_the_policy(live_server, transactional_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    party = face_search_gallery(name="Summer party")
    photos = [
        upload_photo(party, content=unique_jpeg(width=640, height=480), filename=f"IMG_{n}.jpg") for n in range(3)
    ]
    party.cover = photos[0]
    party.save()
    private = make_gallery(name="Staff dinner", visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    upload_photo(private, filename="IMG_9.jpg")
    party_url, private_url = party.get_absolute_url(), private.get_absolute_url()
    photo_url = f"{party_url}p/{photos[1].key}/"
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(unique_jpeg(width=480, height=640))
    site = live_server.url

    with watched_browser(PHONE) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))

        page.goto(site + "/")
        cover = page.locator(".gallery-card img").first
        page.wait_for_function(IMAGE_LOADED, arg=cover.element_handle())

        page.get_by_role("link", name="Summer party").click()
        page.wait_for_load_state()  # gallery.js, deferred, has run
        tiles = page.locator("#photo-grid .tile")
        expect(tiles).to_have_count(3)
        tiles.first.click()
        viewer = page.locator("#viewer")
        expect(viewer).to_be_visible()
        page.wait_for_function(IMAGE_LOADED, arg=viewer.locator(".viewer-image").element_handle())
        viewer.locator(".viewer-next").click()
        expect(viewer.locator(".viewer-position")).to_have_text("2 / 3")
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
        # Closing goes back from the photo's URL: wait for it, or the next goto races that Back.
        page.wait_for_url(site + party_url)

        page.goto(site + photo_url)
        page.wait_for_function(IMAGE_LOADED, arg=page.locator("#viewer .viewer-image").element_handle())
        page.locator(".viewer-sizes summary").click()
        expect(page.get_by_role("link", name=re.compile("^Original about"))).to_be_visible()

        page.goto(site + private_url)
        expect(page.get_by_role("heading", name="Staff dinner")).to_be_visible()
        page.get_by_label("Access code").fill("letmein")
        page.get_by_role("button", name="Open gallery").click()
        expect(page.locator("#photo-grid .tile")).to_have_count(1)

        page.goto(site + party_url)
        page.get_by_role("link", name="Find me").click()
        page.wait_for_load_state()
        page.get_by_label("Your selfie").set_input_files(str(selfie))
        preview = page.locator(".selfie-preview")
        expect(preview).to_be_visible()
        assert preview.get_attribute("src").startswith("blob:")
        page.wait_for_function(IMAGE_LOADED, arg=preview.element_handle())

        page.goto(site + "/g/no-such-gallery/")
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()

        assert script_errors == []
        assert policy.violations == []

        # The watch does see a violation: an inline script, which the policy refuses.
        page.evaluate(INLINE_SCRIPT)
        assert page.evaluate("() => window.inlineScriptRan") is None
        assert len(policy.violations) == 2  # the event, and Chromium's console message
        assert any(violation.startswith("script-src-elem blocked inline") for violation in policy.violations), (
            policy.violations
        )
