"""The admin pages an organizer uses, in a real browser under the Content-Security-Policy:
the login, the gallery list, adding a gallery (the slug filled in by the admin's script),
its change page with the drag-and-drop upload (static/galleries/admin-upload.js), the photo
list and a photo, the face data and API keys. Any policy violation fails the test."""

import io
import os

import pytest
from PIL import Image

from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.tests.factories import make_user, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.browser
def test_an_organizer_works_through_the_admin_under_the_policy(live_server, transactional_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    make_user(superuser=True, username="organizer")  # password "password"
    gallery = face_search_gallery(name="Summer party")
    # Processed and its faces indexed at once (no transaction): face crops to show.
    photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), filename="IMG_0001.jpg")
    photo_id, photo_faces_id = photo.pk, photo.face_index.pk
    assert photo.faces.count() == 6
    new_photo = tmp_path / "IMG_0002.jpg"
    new_photo.write_bytes(unique_jpeg(width=1200, height=800))
    admin = live_server.url + "/admin/"

    with watched_browser(DESKTOP) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))

        page.goto(admin)
        page.locator("#id_username").fill("organizer")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#galleries-gallery")).to_be_visible()

        page.goto(admin + "galleries/gallery/")
        expect(page.get_by_role("link", name="Summer party")).to_be_visible()

        page.get_by_role("link", name="Add gallery").click()
        page.wait_for_load_state()  # the admin's scripts have run
        page.locator("#id_name").press_sequentially("Winter ball")
        expect(page.locator("#id_slug")).to_have_value("winter-ball")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator(".upload-form")).to_be_visible()
        page.wait_for_load_state()

        # The script takes the form over: one request per file, a progress bar each.
        # A file that is not a photo goes up whole too, but its bar turns red and says why.
        not_a_photo = tmp_path / "notes.jpg"
        not_a_photo.write_bytes(b"not a photo at all")
        page.locator(".upload-form input[type=file]").set_input_files([str(new_photo), str(not_a_photo)])
        page.locator(".upload-form button[type=submit]").click()
        expect(page.locator(".upload-files li.done")).to_have_count(1)
        refused = page.locator(".upload-files li.failed")
        expect(refused).to_have_count(1)
        expect(refused.locator(".message")).to_contain_text("Refused: ")
        expect(page.locator(".upload-summary")).to_contain_text("1 of 2 uploaded, 1 refused")
        assert _bar_colour(refused.locator("progress")) == (186, 33, 33)
        assert _bar_colour(page.locator(".upload-files li.done progress")) == (46, 125, 50)
        assert _bar_colour(page.locator(".upload-overall")) == (178, 106, 0)  # amber: some were refused
        if os.environ.get("SCREENSHOTS_DIR"):
            page.locator(".upload-form").screenshot(path=f"{os.environ['SCREENSHOTS_DIR']}/admin-upload-refused.png")
        page.reload()
        expect(page.locator(".recent-photos li")).to_have_count(1)

        page.goto(admin + "galleries/photo/")
        thumbnails = page.locator("#result_list img")
        expect(thumbnails).to_have_count(2)
        for index in range(2):
            page.wait_for_function(IMAGE_LOADED, arg=thumbnails.nth(index).element_handle())

        page.goto(admin + f"galleries/photo/{photo_id}/change/")
        expect(page.locator(".field-faces span[title]")).to_have_count(6)

        page.goto(admin + "faces/photofaces/")
        expect(page.get_by_role("link", name="IMG_0001.jpg")).to_be_visible()
        page.goto(admin + f"faces/photofaces/{photo_faces_id}/change/")
        expect(page.locator(".field-faces span[title]")).to_have_count(6)

        page.goto(admin + "api/apikey/")
        page.get_by_role("link", name="Add API key").click()
        page.locator("#id_name").fill("Photo booth")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("The new API key for organizer")

        assert script_errors == []
        assert policy.violations == []


def _bar_colour(bar) -> tuple[int, int, int]:
    """The colour drawn in the middle of a progress bar, as the organizer sees it."""
    image = Image.open(io.BytesIO(bar.screenshot())).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))
