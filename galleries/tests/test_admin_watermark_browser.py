"""The watermark's preview in the gallery's admin page, in a real browser under the
Content-Security-Policy: it follows the settings as they are changed
(static/galleries/admin-watermark.js), before anything is saved."""

import os
import re
from pathlib import Path

import pytest

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.images import jpeg_bytes
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_the_preview_follows_the_watermark_as_it_is_set(live_server, transactional_db, monkeypatch, tmp_path, viewport):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    make_user(superuser=True, username="organizer")  # password "password"
    gallery = make_gallery(name="Summer party")
    upload_photo(gallery, content=jpeg_bytes(3000, 2000, color=(40, 90, 160), marker=True))
    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    change = f"{live_server.url}/admin/galleries/gallery/{gallery.pk}/change/"

    with watched_browser(viewport) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(change)
        page.locator("#id_username").fill("organizer")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

        preview = page.locator("img.watermark-preview")
        page.wait_for_function(IMAGE_LOADED, arg=preview.element_handle())
        saved_src = preview.get_attribute("src")

        page.locator("#id_watermark").select_option("text")
        page.locator("#id_watermark_text").fill("© Studio Lumen")
        page.locator("#id_watermark_position").select_option("centre")
        expect(preview).to_have_attribute("src", re.compile(re.escape("watermark_text=%C2%A9+Studio+Lumen")))
        assert preview.get_attribute("src") != saved_src
        page.wait_for_function(IMAGE_LOADED, arg=preview.element_handle())
        preview.scroll_into_view_if_needed()
        page.locator("fieldset", has=preview).screenshot(path=screenshots / f"admin-watermark-{viewport['width']}.png")

        assert script_errors == []
        assert policy.violations == []
    assert Gallery.objects.get(pk=gallery.pk).watermark == "none"  # only previewed
