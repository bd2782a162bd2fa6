"""Find me while the gallery is still being indexed, in a real browser: the search is
sent in the background and the selfie kept in the page's memory; the results say how
many photos were searched; the page asks how far indexing has got (every 20 s, the
browser's clock run forward here) and, once more photos are ready, "Search again"
sends the same selfie and finds the others. Without JavaScript, the page asks for the
selfie again.

With FIND_ME_SCREENSHOTS=<folder>, the partial results are saved there at 390 and 1280
pixels wide, in English and German, to look at."""

from __future__ import annotations

import pytest
from django.test import override_settings

from faces.services.indexing import photo_faces_index
from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from faces.tests.partial import AROUND_THEM, WITHOUT_THEM, selfie_of_the_middle_person
from faces.tests.test_find_me_browser import _screenshot
from galleries.tests.factories import upload_photo
from galleries.tests.test_browser import CHROMIUM_ARGS, PolicyWatch, _chromium_or_skip

PHONE = {"width": 390, "height": 844}
# The worker has not got to it: its indexing is queued where nothing runs it.
WORKER_BEHIND = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _gallery(name="Summer party"):
    """The group photo and the others without the middle person, indexed; the middle
    person alone, shown to guests, its indexing queued and not run."""
    group = face_images.group_photo()
    alone = group.crop(AROUND_THEM)
    alone = alone.resize((alone.width * 4 // 5, alone.height * 4 // 5))
    gallery = face_search_gallery(name=name)
    upload_photo(gallery, content=jpeg(group), filename="IMG_0001.jpg")  # indexed at once: no transaction
    upload_photo(gallery, content=jpeg(group.crop(WITHOUT_THEM)), filename="IMG_0002.jpg")
    with override_settings(TASKS=WORKER_BEHIND):
        queued = upload_photo(gallery, content=jpeg(alone), filename="IMG_0003.jpg")
    assert queued.is_ready and not queued.faces.exists()
    return gallery, queued


@pytest.mark.browser
def test_search_again_sends_the_kept_selfie_once_more_photos_are_ready(
    live_server, transactional_db, monkeypatch, tmp_path
):
    executable = _chromium_or_skip()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery, queued = _gallery()
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(jpeg(selfie_of_the_middle_person()))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE)
            policy = PolicyWatch(context)
            page = context.new_page()
            page.clock.install()
            posts, progress, errors = [], [], []
            page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
            page.on("request", lambda request: "/find-me/progress/" in request.url and progress.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(live_server.url + find_me_url(gallery))
            page.get_by_label("Your selfie").set_input_files(str(selfie))
            page.get_by_label("I agree").check()
            page.get_by_role("button", name="Find me").click()

            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("2 of 3 photos searched so far.")).to_be_visible()
            expect(page.get_by_text("This page tells you when more are ready.")).to_be_visible()
            # The selfie is kept: the page does not ask for it again.
            expect(page.get_by_text("Search again in a few minutes: choose your selfie again below.")).to_be_hidden()
            expect(page.get_by_role("button", name="Search again")).to_be_hidden()
            assert page.url.startswith(live_server.url + f"/g/{gallery.slug}/find-me/results/?r=")
            _screenshot(page, "partial-waiting")

            # "Not me" narrows these results in place; the notice still knows the selfie is kept.
            page.get_by_role("button", name="Not me").click()
            expect(page.get_by_text("We did not find you")).to_be_visible()
            expect(page.get_by_text("This page tells you when more are ready.")).to_be_visible()

            # 20 s on: the page asks, and nothing more is ready yet.
            with page.expect_response(lambda response: "/find-me/progress/" in response.url):
                page.clock.run_for(20_000)
            page.evaluate("() => new Promise((resolve) => requestAnimationFrame(resolve))")
            assert len(progress) == 1
            expect(page.get_by_role("button", name="Search again")).to_be_hidden()

            photo_faces_index(photo_id=queued.pk)  # the worker gets to it
            with page.expect_response(lambda response: "/find-me/progress/" in response.url):
                page.clock.run_for(20_000)
            expect(page.get_by_text("More photos are ready to search now.")).to_be_visible()
            again = page.get_by_role("button", name="Search again")
            expect(again).to_be_visible()
            _screenshot(page, "partial-ready")
            again.click()

            expect(page.get_by_role("heading", name="You 2 photos")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("searched so far")).to_have_count(0)
            assert [url for url in posts if url.endswith("/find-me/")] == [live_server.url + find_me_url(gallery)] * 2
            # Complete: the page no longer asks.
            asked = len(progress)
            page.clock.run_for(60_000)
            page.evaluate("() => new Promise((resolve) => requestAnimationFrame(resolve))")
            assert len(progress) == asked
            assert errors == []
            assert policy.violations == []
        finally:
            browser.close()


@pytest.mark.browser
def test_without_javascript_the_guest_is_asked_to_choose_the_selfie_again(
    live_server, transactional_db, monkeypatch, tmp_path
):
    executable = _chromium_or_skip()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery, _ = _gallery()
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(jpeg(selfie_of_the_middle_person()))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, java_script_enabled=False)
            page = context.new_page()
            page.goto(live_server.url + find_me_url(gallery))
            page.get_by_label("Your selfie").set_input_files(str(selfie))
            page.get_by_label("I agree").check()
            page.get_by_role("button", name="Find me").click()

            expect(page.get_by_role("heading", name="You 1 photo")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("2 of 3 photos searched so far.")).to_be_visible()
            expect(page.get_by_text("Search again in a few minutes: choose your selfie again below.")).to_be_visible()
            expect(page.get_by_role("button", name="Search again")).to_be_hidden()
            _screenshot(page, "partial-no-js")
        finally:
            browser.close()


@pytest.mark.browser
def test_the_partial_results_in_german(live_server, transactional_db, monkeypatch, tmp_path):
    executable = _chromium_or_skip()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery, _ = _gallery(name="Sommerfest")
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(jpeg(selfie_of_the_middle_person()))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, locale="de-DE")
            page = context.new_page()
            page.goto(live_server.url + find_me_url(gallery))
            page.locator("input[type=file]").set_input_files(str(selfie))
            page.locator("input[name=consent]").check()
            page.get_by_role("button", name="Finde mich").click()

            expect(page.get_by_text("2 von 3 Fotos bisher durchsucht.")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Diese Seite sagt dir Bescheid, sobald weitere bereit sind.")).to_be_visible()
            _screenshot(page, "partial-waiting-de")
        finally:
            browser.close()
