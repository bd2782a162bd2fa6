"""A gallery's closing date in a real browser, on a phone (390 px) and a desktop (1280 px):
past it, a guest gets the friendly closed page (410, no photo, no trace of an error) for
the gallery and for a photo's page, while its organizer, logged in, still sees the
gallery; a gallery closing later shows as usual. CLOSING_SHOTS=<folder> keeps the pages."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from galleries.tests.factories import make_gallery, make_organizer, unique_jpeg, upload_photo
from galleries.tests.test_browser import watched_browser

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.browser
@pytest.mark.parametrize("screen", SCREENS)
def test_guests_see_a_closed_page_and_the_organizer_the_gallery(
    live_server, transactional_db, monkeypatch, tmp_path, screen
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    owner = make_organizer(username="organizer")  # password "password"
    closed = make_gallery(name="Spring Ball", owner=owner, closes_at=timezone.now() - timedelta(days=1))
    photo = upload_photo(closed, content=unique_jpeg(width=1200, height=800), filename="IMG_0001.jpg")
    open_ = make_gallery(name="Summer party", closes_at=timezone.now() + timedelta(days=2))
    upload_photo(open_, content=unique_jpeg(width=1200, height=800), filename="IMG_0002.jpg")
    shots = Path(os.environ.get("CLOSING_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    site = live_server.url
    width = SCREENS[screen]["width"]

    with watched_browser(SCREENS[screen]) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))

        for url in (closed.get_absolute_url(), f"{closed.get_absolute_url()}p/{photo.key}/"):
            response = page.goto(site + url)
            assert response.status == 410, url
            expect(page.get_by_role("heading", name="Spring Ball")).to_be_visible()
            expect(page.get_by_text("This gallery has closed")).to_be_visible()
            assert page.locator("img, #photo-grid, .tile").count() == 0
            text = page.locator("body").inner_text()
            assert "Traceback" not in text and "Server Error" not in text
            assert str(photo.key) not in page.content()
            _no_sideways_scroll(page)
        page.screenshot(path=str(shots / f"closed-guest-{width}.png"), full_page=True)

        # Closing later: as usual.
        assert page.goto(site + open_.get_absolute_url()).status == 200
        expect(page.locator("#photo-grid .tile")).to_have_count(1)

        # Its organizer, logged in, still sees the closed gallery and its photo.
        page.goto(site + "/admin/")
        page.locator("#id_username").fill("organizer")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(site + "/admin/")
        assert page.goto(site + closed.get_absolute_url()).status == 200
        tile = page.locator("#photo-grid .tile")
        expect(tile).to_have_count(1)
        assert str(photo.key) in tile.get_attribute("href")
        _no_sideways_scroll(page)
        page.screenshot(path=str(shots / f"closed-organizer-{width}.png"), full_page=True)

        assert script_errors == []
        assert policy.violations == []


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
