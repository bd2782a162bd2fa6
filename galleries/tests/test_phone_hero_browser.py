"""The phone hero in a real browser: a phone draws the cover from the image cut for its
hero, a desktop from the display image, each loading only its own; the photo page's
inline stylesheets (the viewer's and the favourites') are let in by the policy. Screenshots
(390 and 1280 px, light and dark, English and German) go to $SCREENSHOTS_DIR when it is set."""

import os
from pathlib import Path

import pytest

from faces.tests.face_images import group_photo
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, one_browser

SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}


def _jpeg(image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.mark.browser
def test_a_phone_draws_the_cover_cut_for_its_hero_and_a_desktop_the_display_image(
    live_server, transactional_db, monkeypatch, tmp_path
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    gallery = make_gallery(name="Anna & Tom's wedding", event_date="2026-06-20")
    cover = upload_photo(gallery, content=_jpeg(group_photo()), filename="group.jpg")
    for n in range(6):
        upload_photo(gallery, filename=f"IMG_{n}.jpg")
    gallery.cover = cover
    gallery.cover_focal_x, gallery.cover_focal_y = 50, 30
    gallery.save()
    photo_url = f"{live_server.url}/g/{gallery.slug}/p/{cover.key}/"
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)

    with one_browser() as watched_context:
        for (screen, device), scheme, language in [
            (screen, scheme, language)
            for screen in SCREENS.items()
            for scheme in ("light", "dark")
            for language in ("en", "de")
        ]:
            with watched_context(
                device["viewport"], device_scale_factor=device["device_scale_factor"], color_scheme=scheme
            ) as (context, policy):
                page = context.new_page()
                heroes = []
                cover_display = f"/photos/{cover.key}/display"
                page.on(
                    "request",
                    lambda request, heroes=heroes, cover_display=cover_display: (
                        ("/hero.jpg" in request.url or cover_display in request.url) and heroes.append(request.url)
                    ),
                )
                page.goto(f"{live_server.url}{gallery.get_absolute_url()}?lang={language}")
                hero = page.locator(".hero-image")
                page.wait_for_function(IMAGE_LOADED, arg=hero.element_handle())
                source, natural = hero.evaluate("img => [img.currentSrc, [img.naturalWidth, img.naturalHeight]]")
                if screen == "phone":
                    assert "/hero.jpg?v=" in source
                    assert natural == [720, 632]
                    assert heroes == [source]  # the desktop's image is neither preloaded nor loaded
                else:
                    assert "/display?v=" in source
                    assert not [url for url in heroes if "/hero.jpg" in url]
                # Cut at the same point, the phone's image and the desktop's keep the faces where they were.
                assert hero.evaluate("img => getComputedStyle(img).objectPosition") == "50% 30%"
                page.screenshot(path=shots / f"hero-{screen}-{scheme}-{language}.png")

                page.goto(f"{photo_url}?lang={language}")
                photo = page.locator("#viewer .viewer-image")
                page.wait_for_function(IMAGE_LOADED, arg=photo.element_handle())
                # Both inline stylesheets apply: the viewer's (the photo page's viewer fills the
                # screen) and the favourites' (the heart is drawn by its ::before).
                assert page.locator("#viewer").evaluate("el => getComputedStyle(el).position") == "fixed"
                heart = page.locator("#viewer .heart-icon")
                assert heart.evaluate("el => getComputedStyle(el, '::before').content") == '"\u2661"'
                assert page.evaluate("document.querySelectorAll('link[rel=stylesheet]').length") == 0
                page.screenshot(path=shots / f"photo-{screen}-{scheme}-{language}.png")
                assert policy.violations == []
