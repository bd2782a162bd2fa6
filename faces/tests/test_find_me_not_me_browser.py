""" "Not me" on Find me's results in a real browser (static/faces/find-me.js): the tile
goes at once, the address becomes the narrowed results' link, and the download then
leaves the photo out; reloading shows the narrowed results. Without JavaScript the same
button posts the form and the browser follows the redirect.

With FIND_ME_SCREENSHOTS=<folder>, the results are saved there at 390 and 1280 pixels
wide, to look at."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from faces.services.results_token import find_me_results_read
from faces.tests.find_me import face_search_gallery, results_token
from faces.tests.test_find_me_browser import PHONE, _screenshot
from galleries.tests.factories import unique_jpeg, upload_photo
from galleries.tests.test_browser import CHROMIUM_ARGS, PolicyWatch, _chromium_or_skip


def _results_url(live_server, gallery, you, maybe) -> str:
    return f"{live_server.url}/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=you, maybe=maybe)}"


def _zip_names(page, selector: str) -> list[str]:
    response = page.request.get(urljoin(page.url, page.locator(selector).get_attribute("href")))
    assert response.status == 200
    return sorted(zipfile.ZipFile(io.BytesIO(response.body())).namelist())


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_a_guest_says_a_photo_is_not_them(live_server, transactional_db, monkeypatch, javascript):
    executable = _chromium_or_skip()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    gallery = face_search_gallery(name="Summer party")
    photos = [upload_photo(gallery, content=unique_jpeg(), filename=f"IMG_{n}.jpg") for n in range(4)]
    url = _results_url(live_server, gallery, you=photos[:2], maybe=photos[2:4])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
            policy = PolicyWatch(context)
            page = context.new_page()
            posts = []
            page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
            page.goto(url)
            expect(page.get_by_role("heading", name="You 2 photos", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name="Maybe you 2 photos", exact=True)).to_be_visible()
            expect(page.get_by_text("someone who looks like you")).to_be_visible()
            if javascript:
                _screenshot(page, "results-with-maybe")

            page.evaluate("() => { window.samePage = true; }")
            # The second "you" and the first maybe are someone else.
            for label, photo in (("photo of you 2", photos[1]), ("photo that may show you 1", photos[2])):
                page.get_by_role("button", name=f"Not me: leave {label} out of these results").click()
                if javascript:
                    # At once, before the server has answered.
                    expect(page.locator(f'li.match[data-photo="{photo.key}"]')).to_be_hidden()
            expect(page.get_by_role("heading", name="You 1 photo", exact=True)).to_be_visible()
            expect(page.get_by_role("heading", name="Maybe you 1 photo", exact=True)).to_be_visible()
            expect(page.locator("li.match")).to_have_count(2)
            assert len(posts) == 2
            # With JavaScript the page stayed (no navigation), without it the browser followed the redirects.
            assert page.evaluate("() => window.samePage === true") == javascript

            # The address is the narrowed results' link: reloading keeps them narrowed.
            expect(page).not_to_have_url(url)
            [token] = parse_qs(urlsplit(page.url).query)["r"]
            assert [f.photo.pk for f in find_me_results_read(gallery=gallery, token=token).found] == [
                photos[0].pk,
                photos[3].pk,
            ]
            page.reload()
            expect(page.locator("li.match")).to_have_count(2)

            # "Download all my photos" and "With the maybes" leave them out.
            assert _zip_names(page, ".find-me-download details >> nth=0 >> a >> nth=0") == ["IMG_0.jpg"]
            assert _zip_names(page, ".find-me-download details >> nth=1 >> a >> nth=0") == ["IMG_0.jpg", "IMG_3.jpg"]
            assert policy.violations == []
        finally:
            browser.close()
