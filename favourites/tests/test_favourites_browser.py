"""Hearts in a real browser: on a tile and in the viewer of the cached gallery page, kept
over a reload, My favourites' ZIP, and the photo page's form without JavaScript."""

import os
import zipfile
from pathlib import Path

import pytest

from favourites.models import Favourite
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser


@pytest.fixture
def gallery(transactional_db, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Anna & Ben", slug="anna-ben")
    for n in range(5):
        upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename=f"DSC_{n:04d}.jpg")
    return gallery


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_hearts_on_tiles_and_in_the_viewer_stay_and_make_my_favourites_zip(live_server, gallery, tmp_path, width):
    from playwright.sync_api import expect

    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    names = list(gallery.photos.ready().in_display_order().values_list("original_filename", flat=True))
    with watched_browser({"width": width, "height": 800}) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(live_server.url + gallery.get_absolute_url())
        tiles = page.locator("#photo-grid .tile")
        hearts = page.locator("#photo-grid .tile-heart")
        expect(hearts.first).to_be_visible()  # shown once the device's hearts are known

        # A heart on a tile: hearted in place, the viewer stays shut.
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST") as sent:
            hearts.nth(1).click()
        assert sent.value.status == 200
        expect(hearts.nth(1)).to_have_class("tile-heart is-favourite")
        expect(page.get_by_role("dialog", name="Photo viewer")).to_be_hidden()
        expect(page.locator(".favourites-count")).to_have_text("(1)")

        # From the keyboard: the heart is a button of its own beside the tile's link.
        tiles.nth(2).focus()
        page.keyboard.press("Tab")
        expect(hearts.nth(2)).to_be_focused()
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            page.keyboard.press("Enter")
        expect(hearts.nth(2)).to_have_attribute("aria-pressed", "true")
        expect(hearts.nth(2)).to_have_accessible_name("Remove from favourites")
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            page.keyboard.press("Space")
        expect(hearts.nth(2)).to_have_attribute("aria-pressed", "false")
        expect(page.get_by_role("dialog", name="Photo viewer")).to_be_hidden()
        expect(page.locator(".favourites-count")).to_have_text("(1)")

        # In the viewer: its heart follows the photo shown, and hearts it.
        tiles.nth(3).locator("img").click(position={"x": 10, "y": 10})
        viewer = page.get_by_role("dialog", name="Photo viewer")
        expect(viewer).to_be_visible()
        viewer_heart = viewer.locator(".viewer-heart")
        expect(viewer_heart).to_have_attribute("aria-pressed", "false")
        page.wait_for_timeout(300)
        page.screenshot(path=screenshots / f"favourites-viewer-{width}.png")
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            viewer_heart.click()
        expect(viewer_heart).to_have_attribute("aria-pressed", "true")
        viewer.locator(".viewer-previous").click()
        viewer.locator(".viewer-previous").click()
        expect(viewer_heart).to_have_attribute("aria-pressed", "true")  # photo 2, hearted on its tile
        viewer.locator(".viewer-close").click()
        expect(viewer).to_be_hidden()
        page.wait_for_url(live_server.url + gallery.get_absolute_url())  # the viewer's Back, done

        # Kept over a reload of the same cached page.
        page.reload()
        expect(hearts.nth(1)).to_have_class("tile-heart is-favourite")
        expect(hearts.nth(3)).to_have_class("tile-heart is-favourite")
        expect(page.locator("#photo-grid .tile-heart.is-favourite")).to_have_count(2)
        expect(page.locator(".favourites-count")).to_have_text("(2)")
        page.screenshot(path=screenshots / f"favourites-gallery-{width}.png")

        # My favourites, and its ZIP with exactly those photos.
        page.get_by_role("link", name="My favourites").click()
        expect(page.get_by_role("heading", name="My favourites")).to_be_visible()
        page.get_by_label("Your name").fill("Aunt Edna")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Thank you, Aunt Edna.")).to_be_visible()
        page.screenshot(path=screenshots / f"favourites-mine-{width}.png", full_page=True)
        page.locator("summary", has_text="Download my favourites").click()
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Original").click()
        saved = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(saved)
        assert policy.violations == []
        assert script_errors == []

    assert saved.name == "anna-ben-favourites.zip"
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted([names[1], names[3]])
    assert Favourite.objects.count() == 2


@pytest.mark.browser
def test_the_photo_page_hearts_without_javascript(live_server, gallery, tmp_path):
    from playwright.sync_api import expect

    screenshots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    photo = gallery.photos.ready().in_display_order().first()
    with watched_browser({"width": 390, "height": 800}, java_script_enabled=False) as (context, policy):
        page = context.new_page()
        page.goto(f"{live_server.url}/g/anna-ben/p/{photo.key}/")
        page.get_by_role("button", name="Add to favourites").click()
        page.wait_for_url(f"{live_server.url}/g/anna-ben/p/{photo.key}/#favourite")
        button = page.locator(".heart-form .heart-button")
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(button).to_have_text("Favourite")
        page.screenshot(path=screenshots / "favourites-photo-page-nojs-390.png", full_page=True)
        assert policy.violations == []
    assert Favourite.objects.get().photo == photo


@pytest.mark.browser
def test_the_photo_pages_form_hearts_in_place_with_javascript(live_server, gallery):
    from playwright.sync_api import expect

    photo = gallery.photos.ready().in_display_order().first()
    with watched_browser({"width": 1280, "height": 800}) as (context, policy):
        page = context.new_page()
        url = f"{live_server.url}/g/anna-ben/p/{photo.key}/"
        page.goto(url)
        page.evaluate("window.samePage = true")
        button = page.locator(".heart-form .heart-button")
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(button).to_have_text("Favourite")
        assert page.evaluate("window.samePage") is True and page.url == url  # no reload
        with page.expect_response(lambda r: "/favourites/" in r.url and r.request.method == "POST"):
            button.click()
        expect(button).to_have_attribute("aria-pressed", "false")
        assert policy.violations == []
    assert not Favourite.objects.exists()
