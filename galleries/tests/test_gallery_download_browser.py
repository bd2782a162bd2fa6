"""The "Download all" button in a real browser, on a phone and a desktop: a plain link
that saves the gallery's ZIP, under the Content-Security-Policy."""

import os
import zipfile
from pathlib import Path

import pytest

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_button_saves_the_gallerys_zip(live_server, transactional_db, monkeypatch, tmp_path, width):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Without Find me or guests' uploads, Download all is the hero's one action.
    gallery = make_gallery(name="Summer party", slug="summer-party")
    for number in range(3):
        upload_photo(gallery, content=unique_jpeg(width=640, height=480), filename=f"IMG_{number}.jpg")
    # SCREENSHOTS=<folder> keeps the pictures of the page to look at.
    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)

    with watched_browser({"width": width, "height": 800}) as (context, policy):
        page = context.new_page()
        page.goto(live_server.url + gallery.get_absolute_url())
        button = page.locator("summary", has_text="Download all")
        assert button.is_visible()
        assert "(3 photos)" in button.inner_text()
        button.click()  # the sizes (a <details> menu: no script needed)
        original = page.get_by_role("link", name="Original")
        assert "about" in original.inner_text() and "MB" in original.inner_text()
        for element in (button, original, page.get_by_role("link", name="Web")):
            box = element.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the menu fits the screen"
        page.screenshot(path=screenshots / f"gallery-download-{width}.png")

        with page.expect_download() as download_info:
            original.click()
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert policy.violations == []

    assert download.suggested_filename == "summer-party.zip"
    with zipfile.ZipFile(saved) as archive:
        assert sorted(archive.namelist()) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg"]
