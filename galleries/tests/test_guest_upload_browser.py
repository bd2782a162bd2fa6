"""Guests' uploads in a real browser at phone size (static/galleries/guest-upload.js):
three photos chosen at once, each with its progress bar and message, one refused for
itself, one whose connection dropped sent again with Retry. GUEST_UPLOAD_SHOTS=<folder>
keeps the page's screenshots at 390 and 1280 px, to look at."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, unique_jpeg
from galleries.tests.test_browser import watched_browser

# Reads every progress bar at each frame: the values each one went through.
_WATCH_PROGRESS = """() => {
    window.progressSeen = {};
    const look = () => {
        document.querySelectorAll(".guest-upload-file").forEach((li) => {
            const name = li.querySelector(".guest-upload-file-name").textContent;
            const bar = li.querySelector("progress");
            const seen = (window.progressSeen[name] = window.progressSeen[name] || []);
            const value = bar.max ? bar.value / bar.max : 0;
            if (seen[seen.length - 1] !== value) seen.push(value);
        });
        requestAnimationFrame(look);
    };
    look();
}"""


def _noise_jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def gallery(transactional_db, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return make_gallery(name="Summer party", guest_uploads=Gallery.GuestUploads.APPROVAL)


@pytest.mark.browser
def test_a_phone_uploads_three_photos_with_progress_one_refused_and_one_retried(
    live_server, gallery, tmp_path, django_capture_on_commit_callbacks
):
    from playwright.sync_api import expect

    files = {
        "beach.jpg": unique_jpeg(width=2400, height=1600),
        # Noise compresses badly: about 1 MB, two seconds of a phone's uplink.
        "dance.jpg": _noise_jpeg(1200, 900),
        "notes.jpg": b"this is a shopping list, not a photo",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    shots = Path(os.environ.get("GUEST_UPLOAD_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    upload_url = live_server.url + f"/g/{gallery.slug}/upload/"

    with watched_browser({"width": 390, "height": 844}, is_mobile=True, has_touch=True) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        # A phone's uplink (about 4 Mbit/s).
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": 500_000},
        )
        dropped = []

        def drop_the_first_dance(route):
            if not dropped and b'filename="dance.jpg"' in (route.request.post_data_buffer or b""):
                dropped.append(route.request.url)
                route.abort("connectionreset")
            else:
                route.continue_()

        page.goto(live_server.url + gallery.get_absolute_url())
        page.screenshot(path=str(shots / "gallery-390.png"), full_page=True)
        page.get_by_role("link", name="Add your photos", exact=True).click()
        expect(page).to_have_url(upload_url)
        page.screenshot(path=str(shots / "upload-390.png"), full_page=True)
        page.route(upload_url, drop_the_first_dance)
        page.evaluate(_WATCH_PROGRESS)

        page.get_by_label("Your name (optional)").fill("Ann")
        page.get_by_label("Choose photos").set_input_files([str(tmp_path / name) for name in files])
        page.get_by_role("button", name="Upload").click()

        rows = page.locator(".guest-upload-file")
        beach, dance, notes = (rows.filter(has_text=name) for name in files)
        expect(beach).to_have_class("guest-upload-file is-done")
        expect(beach).to_contain_text("once the organizer approves it")
        expect(notes).to_have_class("guest-upload-file is-failed")
        expect(notes).to_contain_text("This file is not an image")
        expect(notes.get_by_role("button", name="Retry")).to_be_hidden()
        expect(dance).to_have_class("guest-upload-file is-failed")
        expect(dance).to_contain_text("The connection dropped")
        expect(page.locator(".guest-upload-summary")).to_have_text("1 uploaded, 2 not uploaded.")
        page.screenshot(path=str(shots / "upload-results-390.png"), full_page=True)

        # The connection is back: nothing between the page and the server any more (the
        # interception hands a body over at once, hiding the progress of its upload).
        page.unroute(upload_url)
        page.evaluate("window.progressSeen = {}")
        dance.get_by_role("button", name="Retry").click()
        expect(dance).to_have_class("guest-upload-file is-done")
        expect(page.locator(".guest-upload-summary")).to_have_text("2 uploaded, 1 not uploaded.")
        progress = page.evaluate("window.progressSeen")

        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(shots / "upload-results-1280.png"), full_page=True)
        assert script_errors == []
        assert policy.violations == []

    assert len(dropped) == 1
    # The photo sent again went from part of the way to full.
    assert progress["dance.jpg"][-1] == 1, progress
    assert any(0 < value < 1 for value in progress["dance.jpg"]), progress
    assert sorted(gallery.photos.values_list("original_filename", "guest_name", "review")) == [
        ("beach.jpg", "Ann", Photo.Review.PENDING),
        ("dance.jpg", "Ann", Photo.Review.PENDING),
    ]
