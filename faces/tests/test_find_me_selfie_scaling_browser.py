"""The selfie is scaled down in the browser before it is sent (static/faces/find-me.js):
a photo larger than 1,600 px on its long side reaches the server at 1,600 px, upright
(its EXIF orientation applied in the browser), and still finds the guest; a browser that
cannot scale it sends the file as chosen. The server's real search records what it got."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from faces.services import find_me as find_me_services
from faces.services import search as search_services
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import CHROMIUM_ARGS, PolicyWatch, _chromium_or_skip

PHONE = {"width": 390, "height": 844}
CENTRE = GROUP_PHOTO_FACE_CENTRES[2]


def _phone_photo_on_its_side(tmp_path) -> tuple[str, tuple[int, int]]:
    """A 2,400 x 3,200 portrait selfie (7.7 MP) as a phone stores it: the pixels turned on their side
    (3,200 x 2,400) and EXIF orientation 6 to stand them up. The path, and its upright size."""
    upright = selfie_of(face_images.group_photo(), CENTRE, face_px=110).convert("RGB")
    upright = upright.resize((2400, 3200), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise: what the sensor wrote
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    path = tmp_path / "IMG_2024.jpg"
    path.write_bytes(buffer.getvalue())
    return str(path), upright.size


@pytest.fixture
def received(monkeypatch):
    """Each selfie the server read for a search: (its bytes, its size in pixels upright)."""
    selfies = []
    real_read_selfie = search_services.read_selfie

    def recording_read_selfie(fileobj):
        image = real_read_selfie(fileobj)
        selfies.append((fileobj.size, image.size))
        return image

    monkeypatch.setattr(find_me_services, "read_selfie", recording_read_selfie)
    return selfies


def _search(live_server, gallery, selfie_path: str, *, without_scaling: bool = False) -> None:
    """Chooses the selfie, agrees, presses Find me, and waits for the answer: the photo
    found (with scaling), or any answer of the search (without)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_or_skip(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE)
            policy = PolicyWatch(context)
            if without_scaling:
                context.add_init_script("delete window.createImageBitmap")
            page = context.new_page()
            page.goto(live_server.url + find_me_url(gallery))
            page.get_by_label("Your selfie").set_input_files(selfie_path)
            page.get_by_label("I agree").check()
            page.get_by_role("button", name="Find me").click()
            if without_scaling:
                # Whether the full-size selfie finds the face is the face engine's business.
                answer = page.get_by_role("heading", name="You 1 photo").or_(page.locator(".find-me-problem"))
                expect(answer).to_be_visible(timeout=30_000)
            else:
                expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible(timeout=30_000)
            assert policy.violations == []
        finally:
            browser.close()


@pytest.mark.browser
def test_a_large_selfie_is_sent_at_1600_px_upright_and_still_finds_the_guest(
    live_server, transactional_db, monkeypatch, tmp_path, received
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = face_search_gallery(name="Summer party")
    upload_photo(gallery, content=jpeg(face_images.group_photo()), filename="IMG_0001.jpg")
    path, (width, height) = _phone_photo_on_its_side(tmp_path)
    chosen_bytes = os.path.getsize(path)

    _search(live_server, gallery, path)

    [(got_bytes, (got_width, got_height))] = received
    assert max(got_width, got_height) == 1600 < max(width, height)
    assert got_height > got_width  # upright: the EXIF orientation was applied before scaling
    assert abs(got_width / got_height - width / height) < 0.01
    assert got_bytes < chosen_bytes / 2


@pytest.mark.browser
def test_a_browser_that_cannot_scale_sends_the_file_chosen(
    live_server, transactional_db, monkeypatch, tmp_path, received
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = face_search_gallery(name="Summer party")
    upload_photo(gallery, content=jpeg(face_images.group_photo()), filename="IMG_0001.jpg")
    path, upright_size = _phone_photo_on_its_side(tmp_path)

    _search(live_server, gallery, path, without_scaling=True)

    [(got_bytes, (got_width, got_height))] = received
    assert got_bytes == os.path.getsize(path)  # the whole file
    # Stood up and read at 2,048 px by the server itself (faces.search_services.SELFIE_LONG_EDGE).
    assert upright_size == (2400, 3200)
    assert (got_width, got_height) == (search_services.SELFIE_LONG_EDGE * 3 // 4, search_services.SELFIE_LONG_EDGE)
