"""The viewer's download menu in a real browser (static/galleries/viewer.js): opened on
the gallery page it takes the photo's sizes and Info from the photo's page, for the photo
shown, within the gallery's download policy; a size downloads under the photo's name; Find
me's tiles offer the same sizes. SCREENSHOTS=<dir> keeps the pictures (390 and 1280 px,
English and German, light and dark)."""

import os
from datetime import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from faces.tests.find_me import results_token
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.images import jpeg_bytes
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

LANGUAGES = (("en", "light"), ("de", "dark"))


@pytest.fixture
def photos(transactional_db, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Sommerfest", downloads=Gallery.Downloads.ORIGINALS)
    return [
        upload_photo(
            gallery,
            content=jpeg_bytes(
                2400,
                1600,
                color=(40 * n, 120, 200 - 40 * n),
                marker=True,
                taken_at=datetime(2026, 6, 1, 18, 30 + n),
                make="Canon",
                model="Canon EOS R6",
            ),
            filename=f"IMG_{1230 + n}.jpg",
        )
        for n in range(3)
    ]


def _inside(page, locator, width):
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def _sizes(menu) -> list[str]:
    return menu.locator("a[data-size]").evaluate_all("links => links.map((link) => link.dataset.size)")


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_viewer_offers_each_photos_sizes_and_info(live_server, photos, width, tmp_path):
    from playwright.sync_api import expect

    gallery = photos[0].gallery
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    with watched_browser({"width": width, "height": 760 if width < 600 else 800}, accept_downloads=True) as (
        context,
        policy,
    ):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        for language, scheme in LANGUAGES:
            page.set_extra_http_headers({"Accept-Language": language})
            page.emulate_media(color_scheme=scheme)
            page.goto(live_server.url + gallery.get_absolute_url())
            page.locator("#photo-grid .tile").first.click()
            viewer = page.locator("#viewer")
            page.wait_for_function(IMAGE_LOADED, arg=viewer.locator(".viewer-image").element_handle())

            viewer.locator(".viewer-sizes summary").click()
            menu = viewer.locator(".viewer-sizes-list")
            expect(menu.locator(".viewer-info")).to_contain_text("IMG_1230.jpg")
            assert _sizes(menu) == ["original", "large", "web"]
            expect(menu.locator(".viewer-info")).to_contain_text("Canon EOS R6")
            expect(menu.locator(".viewer-info")).to_contain_text("2400 × 1600 px")
            _inside(page, menu, width)
            page.screenshot(path=shots / f"viewer-sizes-{width}-{language}.png")

            with page.expect_download() as download:
                menu.locator('a[data-size="web"]').click()
            assert download.value.suggested_filename == "IMG_1230-web.jpg"

            # The next photo's menu is the next photo's.
            page.keyboard.press("Escape")
            expect(viewer.locator(".viewer-sizes")).not_to_have_attribute("open", "")
            page.keyboard.press("ArrowRight")
            expect(viewer.locator(".viewer-position")).to_have_text("2 / 3")
            viewer.locator(".viewer-sizes summary").click()
            expect(menu.locator(".viewer-info")).to_contain_text("IMG_1231.jpg")
            assert menu.locator(".viewer-info").inner_text().count("IMG_") == 1
            # One menu at a time: More closes it.
            viewer.locator(".viewer-more summary").click()
            expect(viewer.locator(".viewer-sizes")).not_to_have_attribute("open", "")

            # The photo's own page: the same menu, rendered by the server.
            page.goto(live_server.url + f"/g/{gallery.slug}/p/{photos[2].key}/")
            page.locator(".viewer-sizes summary").click()
            assert _sizes(page.locator(".viewer-sizes-list")) == ["original", "large", "web"]
            page.screenshot(path=shots / f"photo-page-sizes-{width}-{language}.png")

        assert script_errors == []
        assert policy.violations == []


@pytest.mark.browser
def test_the_viewer_offers_a_guest_only_what_the_policy_allows(live_server, photos):
    from playwright.sync_api import expect

    gallery = photos[0].gallery
    with watched_browser({"width": 390, "height": 760}) as (context, policy):
        page = context.new_page()
        for policy_now, sizes in ((Gallery.Downloads.DISPLAY, ["large", "web"]), (Gallery.Downloads.NONE, [])):
            # As the admin saves it: the gallery's cached page goes with its `updated_at`.
            Gallery.objects.filter(pk=gallery.pk).update(downloads=policy_now, updated_at=timezone.now())
            page.goto(live_server.url + gallery.get_absolute_url())
            page.locator("#photo-grid .tile").first.click()
            viewer = page.locator("#viewer")
            viewer.locator(".viewer-sizes summary").click()
            menu = viewer.locator(".viewer-sizes-list")
            expect(menu.locator(".viewer-info")).to_contain_text("IMG_1230.jpg")
            assert _sizes(menu) == sizes
        expect(viewer.locator(".viewer-sizes summary")).to_have_attribute("title", "Info")
        assert policy.violations == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_find_mes_tiles_offer_the_sizes(live_server, photos, width, tmp_path):
    from playwright.sync_api import expect

    gallery = photos[0].gallery
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)
    url = f"{live_server.url}/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=photos)}"
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    with watched_browser({"width": width, "height": 760 if width < 600 else 800}, accept_downloads=True) as (
        context,
        policy,
    ):
        page = context.new_page()
        for language, scheme in (*LANGUAGES, ("en", "dark"), ("de", "light")):
            page.set_extra_http_headers({"Accept-Language": language})
            page.emulate_media(color_scheme=scheme)
            page.goto(url)
            tile = page.locator(".match").nth(2 if width > 600 else 1)
            tile.locator(".match-download-menu summary").click()
            menu = tile.locator(".download-menu-list")
            expect(menu).to_be_visible()
            assert _sizes(menu) == ["original", "large", "web"]
            _inside(page, menu, width)
            menu.scroll_into_view_if_needed()
            page.screenshot(path=shots / f"find-me-sizes-{width}-{language}-{scheme}.png")
            with page.expect_download() as download:
                menu.locator('a[data-size="large"]').click()
            assert download.value.suggested_filename.endswith("-large.jpg")
        assert policy.violations == []
