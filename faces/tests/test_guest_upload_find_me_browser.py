"""The whole path of a guest's photo in real browsers: a guest on a phone (390 px) uploads
a real group photo through the upload page of a gallery with approval and Find me on;
it is neither on the gallery page nor found by Find me until the organizer, on a desktop
(1280 px), approves it from the admin's moderation queue; the worker (the immediate tasks
backend, run as the approval commits) indexes it, and a selfie of someone in it finds it.

GUEST_FIND_ME_SHOTS=<folder> keeps screenshots of each step, to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from faces.models import PhotoFaces
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_organizer
from galleries.tests.test_browser import IMAGE_LOADED, PolicyWatch, watched_browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]


@pytest.mark.browser
def test_a_guests_photo_is_found_only_once_the_organizer_approves_it(
    live_server, transactional_db, monkeypatch, tmp_path
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    owner = make_organizer(username="organizer")  # password "password"
    gallery = face_search_gallery(name="Summer party", owner=owner, guest_uploads=Gallery.GuestUploads.APPROVAL)
    group = face_images.group_photo()
    (tmp_path / "IMG_2001.jpg").write_bytes(jpeg(group))
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(jpeg(selfie_of(group, CENTRE, face_px=110)))
    shots = Path(os.environ.get("GUEST_FIND_ME_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    site = live_server.url

    with watched_browser(PHONE, is_mobile=True, has_touch=True) as (guest_context, guest_policy):
        guest = guest_context.new_page()
        script_errors = []
        guest.on("pageerror", lambda error: script_errors.append(str(error)))

        # The guest adds the photo from the gallery page.
        guest.goto(site + gallery.get_absolute_url())
        guest.get_by_role("link", name="Add photos", exact=True).click()
        expect(guest).to_have_url(site + f"/g/{gallery.slug}/upload/")
        guest.get_by_label("Your name (optional)").fill("Ann")
        guest.get_by_label("Choose photos").set_input_files(str(tmp_path / "IMG_2001.jpg"))
        guest.get_by_role("button", name="Upload").click()
        row = guest.locator(".guest-upload-file").filter(has_text="IMG_2001.jpg")
        expect(row).to_have_class("guest-upload-file is-done")
        expect(row).to_contain_text("once the organizer approves it")
        guest.screenshot(path=str(shots / "1-uploaded-390.png"), full_page=True)

        photo = gallery.photos.get()
        assert (photo.status, photo.review) == (Photo.Status.READY, Photo.Review.PENDING)
        assert not PhotoFaces.objects.filter(photo=photo).exists()

        # Held back: not on the gallery page, not found.
        guest.goto(site + gallery.get_absolute_url())
        expect(guest.get_by_text("No photos here yet")).to_be_visible()
        assert str(photo.key) not in guest.content()
        _find_me(guest, site, gallery, selfie, consent=True)
        expect(guest.get_by_text("We did not find you in the photos of")).to_be_visible()
        assert guest.locator(f'[data-photo="{photo.key}"]').count() == 0
        guest.screenshot(path=str(shots / "2-not-found-yet-390.png"), full_page=True)

        # The organizer, on a desktop, approves it from the moderation queue.
        organizer_context = guest_context.browser.new_context(viewport=DESKTOP)
        organizer_context.set_default_timeout(10_000)
        organizer_policy = PolicyWatch(organizer_context)
        admin = organizer_context.new_page()
        admin.on("pageerror", lambda error: script_errors.append(str(error)))
        admin.goto(site + "/admin/")
        admin.locator("#id_username").fill("organizer")
        admin.locator("#id_password").fill("password")
        admin.get_by_role("button", name="Log in").click()
        admin.wait_for_url(site + "/admin/")
        admin.goto(site + "/admin/galleries/photo/?review__exact=pending")
        queued = admin.locator("#result_list tbody tr")
        expect(queued).to_have_count(1)
        expect(queued).to_contain_text("IMG_2001.jpg")
        thumbnail = queued.locator(f'img[src*="/photos/{photo.key}/thumb"]')
        admin.wait_for_function(IMAGE_LOADED, arg=thumbnail.element_handle())
        admin.screenshot(path=str(shots / "3-queue-1280.png"), full_page=True)
        queued.locator("input.action-select").check()
        admin.locator("select[name=action]").select_option(label="Approve guests' photos: show them in the gallery")
        admin.get_by_role("button", name="Go", exact=True).click()
        expect(admin.locator(".messagelist")).to_contain_text("1 guest photo(s) approved")
        admin.screenshot(path=str(shots / "4-approved-1280.png"), full_page=True)

        photo.refresh_from_db()
        assert photo.review == Photo.Review.SHOWN
        assert PhotoFaces.objects.get(photo=photo).status == PhotoFaces.Status.INDEXED

        # The gallery page shows it, and a selfie of someone in it finds it.
        guest.goto(site + gallery.get_absolute_url())
        tile = guest.locator("#photo-grid .tile")
        expect(tile).to_have_count(1)
        assert str(photo.key) in tile.get_attribute("href")
        _find_me(guest, site, gallery, selfie, consent=False)
        expect(guest.get_by_role("heading", name="You 1 photo")).to_be_visible()
        found = guest.locator(f'[data-photo="{photo.key}"]')
        expect(found).to_have_count(1)
        guest.wait_for_function(IMAGE_LOADED, arg=guest.locator(".match-photo img").element_handle())
        guest.screenshot(path=str(shots / "5-found-390.png"), full_page=True)

        # The ORM's connection of this block (Playwright's event loop runs in this thread).
        connection.close()
        assert script_errors == []
        assert guest_policy.violations == []
        assert organizer_policy.violations == []


def _find_me(page, site: str, gallery, selfie: Path, *, consent: bool) -> None:
    page.goto(site + find_me_url(gallery))
    page.get_by_label("Your selfie").set_input_files(str(selfie))
    if consent:
        page.get_by_label("I agree").check()
    page.get_by_role("button", name="Find me").click()
    page.wait_for_url(site + f"/g/{gallery.slug}/find-me/results/?r=*")
