"""The admin's photo list in a real browser fits a phone and a desktop without
scrolling sideways (static/galleries/admin-photo-list.css): on a phone the photo, its
name, hearts, state and what guests see of it; the rest on the photo's own page."""

import pytest

from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.test_admin_gallery_add_browser import DESKTOP, OVERFLOW, PHONE, _log_in
from galleries.tests.test_browser import watched_browser


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_photo_list_fits(live_server, transactional_db, monkeypatch, viewport):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    make_user(superuser=True, username="organizer")  # password "password"
    gallery = make_gallery(name="Summer party at the lake house", guest_uploads=Gallery.GuestUploads.APPROVAL)
    for number in range(3):
        upload_photo(gallery, filename=f"DSC_2026_06_01_{number:04}_edited_final.jpg")
    held_back = upload_photo(gallery, filename="IMG_20260601_231502_from_a_phone.jpg")
    Photo.objects.filter(pk=held_back.pk).update(
        uploaded_by_guest=True, guest_name="Ann-Katrin Lindqvist", review=Photo.Review.PENDING
    )
    admin = live_server.url + "/admin/"

    with watched_browser(viewport) as (context, policy):
        page = context.new_page()
        _log_in(page, admin)
        page.goto(admin + "galleries/photo/")
        expect(page.get_by_role("link", name="IMG_20260601_231502_from_a_phone.jpg")).to_be_visible()

        assert page.evaluate(OVERFLOW) <= 0
        expect(page.locator("#result_list th.column-guests_see")).to_be_visible()
        expect(page.locator("#result_list th.column-gallery")).to_be_visible(visible=viewport == DESKTOP)
