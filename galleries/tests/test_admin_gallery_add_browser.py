"""The gallery admin in a real browser: the slug's hint follows the slug as the admin's
script fills it in from the name (static/galleries/admin-slug.js), and the gallery list
fits a phone and a desktop without scrolling sideways (static/galleries/admin-list.css)."""

import datetime

import pytest

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.test_browser import watched_browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# How much wider than its box the list's table is (0: it fits).
OVERFLOW = (
    "() => { const box = document.querySelector('#changelist .results'); return box.scrollWidth - box.clientWidth; }"
)


def _log_in(page, admin):
    page.goto(admin)
    page.locator("#id_username").fill("organizer")
    page.locator("#id_password").fill("password")
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_hint_follows_the_slug_and_the_list_fits(live_server, transactional_db, monkeypatch, viewport):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    make_user(superuser=True, username="organizer")  # password "password"
    for day, (name, visibility) in enumerate(
        [("Summer party at the lake house", "public"), ("Winter ball", "unlisted"), ("Anna & Ben", "private")],
        start=1,
    ):
        gallery = make_gallery(
            name=name,
            visibility=visibility,
            event_date=datetime.date(2026, 6, day),
            face_search_enabled=day == 1,
            closes_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC) if day == 1 else None,
        )
        upload_photo(gallery)
    admin = live_server.url + "/admin/"

    with watched_browser(viewport) as (context, policy):
        page = context.new_page()
        _log_in(page, admin)

        page.goto(admin + "galleries/gallery/")
        expect(page.get_by_role("link", name="Winter ball")).to_be_visible()
        assert page.evaluate(OVERFLOW) <= 0
        expect(page.locator("#result_list th.column-date")).to_be_visible(visible=viewport == DESKTOP)
        expect(page.locator("#result_list th.column-photos_link")).to_be_visible()

        page.goto(admin + "galleries/gallery/add/")
        page.wait_for_load_state()  # the admin's scripts have run
        expect(page.locator(".gallery-address")).to_have_text(f"{live_server.url}/g/slug/")
        page.locator("#id_name").press_sequentially("Spring fair")
        expect(page.locator(".gallery-address")).to_have_text(f"{live_server.url}/g/spring-fair/")
        page.locator("#id_slug").fill("fair")
        expect(page.locator(".gallery-address")).to_have_text(f"{live_server.url}/g/fair/")

        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("You can add its photos now")).to_be_visible()
        expect(page.locator(".upload-form")).to_be_attached()
        assert Gallery.objects.filter(slug="fair").exists()
    assert policy.violations == []
