"""The printed share cards in headless Chromium, under the Content-Security-Policy: the
A6 card prints on one A6 page, the sheet on one A4 page, and the QR code on the printed
page reads back as the gallery's address. SHARE_CARD_SHOTS=<folder> keeps the PDFs and
print-media screenshots there, to look at. The cards are printed (on a desktop's
printer, as paper sizes): no phone-sized run, since a phone does not change the page."""

import io
import os
import re
from datetime import date
from pathlib import Path

import pytest

from faces.tests import face_images
from faces.tests.find_me import jpeg
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.test_browser import watched_browser

# PDF points (1/72 in) of the pages, as Chromium writes them.
A6_POINTS = (298, 420)
A5_POINTS = (420, 595)
A4_POINTS = (595, 842)


CARD_CONTENT_FITS = """() => [...document.querySelectorAll(".card")].every((card) => {
  const box = card.getBoundingClientRect();
  return [...card.querySelectorAll("*")].every((element) => {
    const inner = element.getBoundingClientRect();
    return inner.top >= box.top - 0.5 && inner.bottom <= box.bottom + 0.5
      && inner.left >= box.left - 0.5 && inner.right <= box.right + 0.5;
  });
})"""


def _page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(round(float(w)), round(float(h))) for w, h in boxes]


@pytest.mark.browser
def test_the_cards_print_on_their_paper_size_and_scan_back(live_server, transactional_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import zxingcpp
    from PIL import Image

    shots = Path(os.environ.get("SHARE_CARD_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    make_user(superuser=True, username="organizer")  # password "password"
    gallery = make_gallery(
        name="Anna & Ben's Wedding",
        slug="anna-ben",
        visibility=Gallery.Visibility.PRIVATE,
        access_code="juniper-42",
        face_search_enabled=True,
        event_date=date(2026, 6, 20),
    )
    # The cover, cut at its focal point: the faces of the group photo, as indexing records them.
    gallery.cover = upload_photo(gallery, content=jpeg(face_images.group_photo()))
    gallery.cover.focal_x, gallery.cover.focal_y = 56, 8
    gallery.cover.save()
    gallery.save()
    gallery_id = gallery.pk
    admin = live_server.url + "/admin/"

    with watched_browser({"width": 900, "height": 1200}) as (context, policy):
        page = context.new_page()
        page.goto(admin)
        page.locator("#id_username").fill("organizer")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(admin)

        # As printed: the screenshots too (page.pdf prints with screen styles once
        # media was emulated as "screen").
        page.emulate_media(media="print")
        results = {}
        for name, path in (("a6", "share/card/a6/"), ("a5", "share/card/a5/"), ("sheet", "share/sheet/")):
            page.goto(f"{admin}galleries/gallery/{gallery_id}/{path}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("[...document.images].every((img) => img.complete && img.naturalWidth > 0)")
            assert page.locator(".card-cover").first.evaluate("i => getComputedStyle(i).objectPosition") == "56% 8%"
            # Under the cover, in the guest pages' typography, everything on the card.
            assert page.locator(".card-cover").count() == (4 if name == "sheet" else 1)
            assert "Palatino" in page.locator(".card-name").first.evaluate("e => getComputedStyle(e).fontFamily")
            assert page.evaluate(CARD_CONTENT_FITS), name
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            (shots / f"{name}.pdf").write_bytes(pdf)
            results[name] = (pdf, page.screenshot(full_page=True))
            (shots / f"{name}.png").write_bytes(results[name][1])

        assert policy.violations == []

    assert _page_sizes(results["a6"][0]) == [A6_POINTS]
    assert _page_sizes(results["a5"][0]) == [A5_POINTS]
    assert _page_sizes(results["sheet"][0]) == [A4_POINTS]
    for name in ("a6", "sheet"):
        decoded = {b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(results[name][1])))}
        assert decoded == {f"{live_server.url}/g/anna-ben/"}, name
