"""axe-core on every page a guest sees, at a phone's and a computer's width, in the
light and the dark colour scheme: any serious or critical violation fails.

The pages: the home page empty and with galleries, a gallery, its viewer open, a
photo's page, a private gallery's access code, a closed gallery, Find me, its results,
its privacy page, My favourites, the slideshow and a page that is not there. The photos
are crops of a real group photo (faces/tests/face_images.py), portrait and landscape,
indexed by the real face engine. With SCREENSHOTS_DIR set, every page is saved there as
<page>-<width>-<scheme>.png (the whole page, or the screen for the viewer and the
slideshow), to look at.

One Chromium serves all four screens and schemes of a phase (a browser context each,
with its own Content-Security-Policy watch): launching it for each took a third of the
test. There are two phases, before and after the galleries are made, since the ORM must
not run inside Playwright's block (its connection would be another one that nothing
closes, and PostgreSQL's test database could not be dropped).
"""

from __future__ import annotations

import collections
import functools
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, one_browser

SCREENS = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
SCHEMES = ["light", "dark"]
FAILING_IMPACTS = {"serious", "critical"}
# Crops of the 1280 x 886 group photo: landscape, portrait, square and wide frames.
CROPS = [
    (0, 0, 1280, 886),
    (180, 60, 620, 720),
    (640, 0, 1280, 640),
    (700, 40, 1280, 886),
    (0, 200, 1280, 700),
    (380, 80, 820, 740),
    (0, 0, 900, 600),
    (860, 0, 1280, 630),
    (100, 150, 700, 550),
]


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _audit(page, name: str, found: list, shots: Path | None, *, full_page: bool = True) -> None:
    """Runs axe-core on the page as it is and keeps its violations; saves a screenshot."""
    results = _axe().run(page, options={"resultTypes": ["violations"]})
    for violation in results.response["violations"]:
        targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
        found.append((violation["impact"], violation["id"], name, len(violation["nodes"]), targets))
    if shots:
        page.screenshot(path=shots / f"{name}.png", full_page=full_page)


def _walk(context, site: str, pages: dict, found: list, shots: Path | None, suffix: str) -> None:
    page = context.new_page()
    for name, url in pages.items():
        page.goto(site + url)
        for image in page.locator("main img:visible").element_handles()[:12]:
            page.wait_for_function(IMAGE_LOADED, arg=image)
        _audit(page, f"{name}-{suffix}", found, shots, full_page=name != "slideshow")
        if name == "gallery":
            page.locator("#photo-grid .tile").first.click()
            viewer_image = page.locator("#viewer .viewer-image")
            page.wait_for_function(IMAGE_LOADED, arg=viewer_image.element_handle())
            _audit(page, f"viewer-{suffix}", found, shots, full_page=False)
            page.keyboard.press("Escape")
            page.wait_for_url(site + url)
    page.close()


def _report(found: list) -> str:
    by_impact = collections.Counter(impact for impact, *_ in found)
    lines = [f"axe-core violations by impact: {dict(by_impact) or 'none'}"]
    lines += [
        f"  {impact:8} {rule} on {name} ({count} nodes: {targets})" for impact, rule, name, count, targets in found
    ]
    return "\n".join(lines)


@pytest.mark.browser
def test_every_guest_page_passes_axe_core_in_both_colour_schemes_and_widths(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    shots = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    site = live_server.url
    found = []

    # No gallery yet: the home page says what this is.
    with one_browser() as watched_context:
        for screen in SCREENS:
            for scheme in SCHEMES:
                with watched_context(screen, color_scheme=scheme) as (context, policy):
                    pages = {"home-empty": "/", "not-found": "/g/no-such-gallery/"}
                    _walk(context, site, pages, found, shots, f"{screen['width']}-{scheme}")
                    assert policy.violations == []

    group = face_images.group_photo()
    party = face_search_gallery(
        name="Summer party",
        event_date=timezone.localdate() - timedelta(days=3),
        description="The garden party of the photo club, with music until late.",
    )
    photos = [
        upload_photo(party, content=jpeg(group.crop(box)), filename=f"IMG_{n:04d}.jpg") for n, box in enumerate(CROPS)
    ]
    party.cover = photos[0]
    party.save()
    private = make_gallery(name="Staff dinner", visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    closed = make_gallery(
        name="Spring fair", closes_at=timezone.now() - timedelta(days=1), privacy_contact="fair@example.com"
    )
    empty = make_gallery(name="Autumn walk")
    selfie = jpeg(selfie_of(group, GROUP_PHOTO_FACE_CENTRES[2], face_px=110))
    pages = {
        "home": "/",
        "gallery": party.get_absolute_url(),
        "gallery-empty": empty.get_absolute_url(),
        "photo": f"{party.get_absolute_url()}p/{photos[1].key}/",
        "access-code": private.get_absolute_url(),
        "closed": closed.get_absolute_url(),
        "find-me": find_me_url(party),
        "privacy": f"{party.get_absolute_url()}privacy/",
        "favourites": f"{party.get_absolute_url()}favourites/",
        "slideshow": f"{party.get_absolute_url()}slideshow/",
    }

    results_url = None
    with one_browser() as watched_context:
        for screen in SCREENS:
            for scheme in SCHEMES:
                suffix = f"{screen['width']}-{scheme}"
                with watched_context(screen, color_scheme=scheme) as (context, policy):
                    _walk(context, site, pages, found, shots, suffix)
                    page = context.new_page()
                    if results_url is None:
                        page.goto(site + find_me_url(party))
                        page.get_by_label("Your selfie").set_input_files(
                            files=[{"name": "selfie.jpg", "mimeType": "image/jpeg", "buffer": selfie}]
                        )
                        page.get_by_label("I agree").check()
                        page.get_by_role("button", name="Find me").click()
                        expect(page.get_by_role("heading", name="You", exact=False).first).to_be_visible()
                        results_url = page.url
                    else:
                        page.goto(results_url)
                    for image in page.locator(".match-photo img").element_handles():
                        page.wait_for_function(IMAGE_LOADED, arg=image)
                    _audit(page, f"find-me-results-{suffix}", found, shots)
                    page.close()
                    assert policy.violations == []

    print(_report(found))
    failing = [violation for violation in found if violation[0] in FAILING_IMPACTS]
    assert not failing, _report(failing)
