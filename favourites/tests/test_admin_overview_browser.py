"""The gallery's overview on its admin page, in a real browser at a phone's and a
desktop's width, under the Content-Security-Policy, with its CSV link and the photo
list sorted by hearts."""

import os
from pathlib import Path

import pytest
from django.test import Client

from favourites.tests.conftest import heart
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_overview_shows_the_galleries_figures(live_server, transactional_db, monkeypatch, tmp_path, width):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    owner = make_user(superuser=True, username="organizer")  # password "password"
    gallery = make_gallery(name="Anna & Ben", slug="anna-ben", owner=owner)
    photos = [upload_photo(gallery, content=unique_jpeg(), filename=f"DSC_{n}.jpg") for n in range(3)]
    guest = Client()
    guest.get("/g/anna-ben/favourites/state")
    heart(guest, photos[0])
    heart(guest, photos[2])
    guest.get("/g/anna-ben/download/")
    gallery_id = gallery.pk

    with watched_browser({"width": width, "height": 900}) as (context, policy):
        page = context.new_page()
        page.goto(live_server.url + "/admin/")
        page.locator("#id_username").fill("organizer")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/admin/galleries/gallery/{gallery_id}/change/")
        overview = page.locator("#gallery-overview")
        expect(overview).to_contain_text("Views")
        figures = overview.locator(".overview-figures dd")
        expect(figures).to_have_text(
            [
                "3",
                "3",
                "Find me off",
                "1 (1 device, 1 today)",
                "1 (0 single photos, 1 ZIP of 3 photos)",
                "2 (2 photos, 1 guest)",
            ]
        )
        page.screenshot(path=screenshots / f"admin-overview-{width}.png")
        box = overview.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        with page.expect_download() as download_info:
            overview.get_by_role("link", name="CSV").click()
        assert download_info.value.suggested_filename == "anna-ben-favourites.csv"

        # The photo list, most hearted first, through the overview's Favourites link.
        overview.locator("dd a").last.click()
        expect(page.locator("#result_list tbody tr")).to_have_count(3)
        expect(page.locator("#result_list td.field-favourite_count")).to_have_text(["1", "1", "0"])
        page.screenshot(path=screenshots / f"admin-photos-by-hearts-{width}.png")
        assert policy.violations == []
