"""On S3 the gallery page's images are signed URLs that expire minutes after the page was
made (S3_SIGNED_URL_SECONDS). A guest who keeps the page open longer still sees the
photos: an image whose URL has expired is asked for again at the site's own file
address, which checks access and sends on a fresh URL (static/galleries/photo-addresses.js,
on every page)."""

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser

SIGNED = re.compile(r"""https?://[^"'\s,]+X-Amz-Signature=[^"'\s,]+""")


def _signature(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("X-Amz-Signature", [""])[0]


@pytest.mark.browser
@pytest.mark.parametrize("script_late", [False, True], ids=["script first", "images failed before the script ran"])
def test_tiles_and_the_viewer_whose_signed_urls_expired_load_fresh_ones(
    live_server, transactional_db, s3_storage, settings, monkeypatch, script_late
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Summer party")
    for n in range(3):
        upload_photo(gallery, content=unique_jpeg(width=480, height=320), filename=f"IMG_{n:04d}.jpg")
    url = live_server.url + gallery.get_absolute_url()
    # The grid as the page cache keeps it: its signed URLs are the ones that "expired".
    grid = Client().get(gallery.get_absolute_url(), {"fragment": "1"}).content.decode()
    expired = {_signature(html.unescape(found)) for found in SIGNED.findall(grid)}
    assert len(expired) >= 3
    refused, renewed, held = [], [], []

    def route(route, request):
        if script_late and "photo-addresses" in request.url and not held:
            held.append(route)  # answered once the tiles' first URL was refused
            return None
        if _signature(request.url) in expired:
            refused.append(request.url)
            # What S3 answers for an expired URL.
            return route.fulfill(
                status=403, content_type="application/xml", body="<Error><Code>AccessDenied</Code></Error>"
            )
        if "/photos/" in request.url:
            renewed.append(request.url)
        return route.continue_()

    with watched_browser({"width": 800, "height": 900}) as (context, policy):
        page = context.new_page()
        page.route("**/*", route)
        if script_late:
            page.goto(url, wait_until="commit")
            deadline = time.monotonic() + 10
            while not refused:
                assert time.monotonic() < deadline, "no tile asked for its expired URL"
                page.wait_for_timeout(50)
            page.wait_for_timeout(200)
            held[0].continue_()
        else:
            page.goto(url)
        tiles = page.locator("#photo-grid .tile img")
        for n in range(3):
            tiles.nth(n).scroll_into_view_if_needed()
            page.wait_for_function(IMAGE_LOADED, arg=tiles.nth(n).element_handle())

        page.locator("#photo-grid .tile").nth(1).click()
        viewer_image = page.locator(".viewer-image")
        page.wait_for_function(IMAGE_LOADED, arg=viewer_image.element_handle())

        assert refused and renewed
        assert any(u.endswith("/display") for u in renewed)
        for src in [tiles.nth(n).evaluate("img => img.currentSrc") for n in range(3)]:
            assert "/photos/" in src or _signature(src) not in expired
        assert policy.violations == []
