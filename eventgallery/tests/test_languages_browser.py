"""The pages' scripts speak the page's language in a real browser: the words they show
come from data-attributes the templates render (eventgallery/languages.py), with the
page's plural rules and number format, and within the Content-Security-Policy."""

import pytest

from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser

PER_PAGE = 6
PHOTO_COUNT = 9


@pytest.mark.browser
def test_a_german_guest_gets_the_scripts_words_in_german(live_server, transactional_db, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    settings.PHOTOS_PER_PAGE = PER_PAGE
    gallery = make_gallery(name="Sommerfest")
    for n in range(PHOTO_COUNT):
        upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename=f"IMG_{n:04d}.jpg")
    Photo.objects.filter(pk=gallery.photos.in_display_order().first().pk).update(guest_name="Oma Hilde")
    url = live_server.url + gallery.get_absolute_url()

    with watched_browser({"width": 390, "height": 700}, locale="de-DE") as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "de")

        # The next page as you scroll, then the end of the gallery, in German.
        page.mouse.wheel(0, 10_000)
        expect(page.locator(".pager-done")).to_have_text("Alle 9 Fotos angezeigt")

        # The viewer: its name, who added the photo, its buttons.
        page.locator("#photo-grid .tile").first.click()
        viewer = page.get_by_role("dialog", name="Fotobetrachter")
        expect(viewer).to_be_visible()
        expect(viewer.locator(".viewer-caption")).to_have_text("Hinzugefügt von Oma Hilde")
        expect(viewer.get_by_role("button", name="Nächstes Foto")).to_be_visible()

        assert script_errors == []
        assert policy.violations == []
