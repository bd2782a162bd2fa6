"""The phone hero (galleries/hero.py): the cover cut at its focal point for a phone's hero,
stored once per cover and focal point, let out as the cover is, and linked from the
gallery page for phones only."""

import io
import re
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from galleries import decoding, hero
from galleries.models import Gallery
from galleries.services.galleries import gallery_delete, gallery_save, gallery_set_cover
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.images import jpeg_bytes
from galleries.tests.test_link_previews import half_red_half_blue

pytestmark = pytest.mark.django_db


def phone_hero_url(client, gallery) -> str:
    """The phone hero's address as the gallery page gives it."""
    html = client.get(gallery.get_absolute_url()).text
    return re.search(r'<source media="\(max-width: 599px\)" srcset="([^"]+)"', html)[1].replace("&amp;", "&")


def stored_heroes(settings, gallery_id) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / hero.hero_folder(gallery_id)
    return sorted(path.name for path in folder.glob("*")) if folder.exists() else []


def image_of(response) -> Image.Image:
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    image.load()
    return image


def mostly(image: Image.Image) -> str:
    red, _, blue = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return "red" if red > blue else "blue"


def test_it_is_the_cover_cut_at_its_focal_point_to_the_phone_heros_size(client):
    gallery = make_gallery()
    gallery.cover = upload_photo(gallery, content=half_red_half_blue(width=1200, height=1600))
    for focal_y, expected in ((0, "red"), (100, "blue")):
        gallery.cover_focal_x, gallery.cover_focal_y = 50, focal_y
        gallery.save()

        response = client.get(phone_hero_url(client, gallery))

        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        image = image_of(response)
        assert image.size == hero.PHONE_HERO_SIZE == (720, 632)
        assert mostly(image) == expected, focal_y


def test_it_is_kept_by_the_browser_for_long_under_an_address_that_moves_with_the_cover(client, settings):
    gallery = make_gallery()
    first, second = upload_photo(gallery), upload_photo(gallery)
    gallery_set_cover(gallery=gallery, photo=first)
    url = phone_hero_url(client, gallery)

    response = client.get(url)

    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(b"".join(response.streaming_content)) < 100_000
    gallery.cover_focal_x, gallery.cover_focal_y = 20, 80
    gallery.save()
    moved = phone_hero_url(client, gallery)
    assert moved != url
    gallery_set_cover(gallery=gallery, photo=second)
    assert phone_hero_url(client, gallery) not in (url, moved)


def test_it_is_made_once_and_a_new_cover_leaves_no_old_file(client, settings, monkeypatch):
    gallery = make_gallery()
    first, second = upload_photo(gallery), upload_photo(gallery)
    gallery_set_cover(gallery=gallery, photo=first)
    made = []
    real = hero.phone_hero_image
    monkeypatch.setattr(hero, "phone_hero_image", lambda **kw: made.append(1) or real(**kw))
    url = phone_hero_url(client, gallery)

    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert len(made) == 1
    assert stored_heroes(settings, gallery.pk) == [f"{hero.phone_hero_version(gallery, first)}.jpg"]

    gallery_set_cover(gallery=gallery, photo=second)
    assert client.get(phone_hero_url(client, gallery)).status_code == 200
    assert stored_heroes(settings, gallery.pk) == [f"{hero.phone_hero_version(gallery, second)}.jpg"]


def test_an_organizers_new_cover_or_focal_point_deletes_the_stored_one_once_saved(
    client, settings, django_capture_on_commit_callbacks
):
    gallery = make_gallery()
    first, second = upload_photo(gallery), upload_photo(gallery)
    gallery_set_cover(gallery=gallery, photo=first)
    assert client.get(phone_hero_url(client, gallery)).status_code == 200
    assert len(stored_heroes(settings, gallery.pk)) == 1

    gallery.cover_focal_x, gallery.cover_focal_y = 10, 90
    with django_capture_on_commit_callbacks(execute=True):
        gallery_save(gallery=gallery, changed=["cover_focal_x", "cover_focal_y"])
    assert stored_heroes(settings, gallery.pk) == []

    assert client.get(phone_hero_url(client, gallery)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gallery_set_cover(gallery=gallery, photo=second)
    assert stored_heroes(settings, gallery.pk) == []
    assert client.get(phone_hero_url(client, gallery)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gallery_save(gallery=gallery, changed=["name"])  # nothing the hero shows: it stays
    assert stored_heroes(settings, gallery.pk) == [f"{hero.phone_hero_version(gallery, second)}.jpg"]


def test_deleting_the_gallery_deletes_its_phone_hero(client, settings, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    upload_photo(gallery)
    assert client.get(phone_hero_url(client, gallery)).status_code == 200
    gallery_id = gallery.pk
    assert len(stored_heroes(settings, gallery_id)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)

    assert stored_heroes(settings, gallery_id) == []
    assert not any(path.is_file() for path in (Path(settings.MEDIA_ROOT) / "galleries" / str(gallery_id)).rglob("*"))


def test_it_is_let_out_as_the_cover_is(client):
    organizer = make_user(staff=True)
    public = make_gallery(owner=organizer)
    unlisted = make_gallery(owner=organizer, visibility=Gallery.Visibility.UNLISTED)
    private = make_gallery(owner=organizer, visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    draft = make_gallery(owner=organizer, is_published=False)
    closed = make_gallery(owner=organizer, closes_at=timezone.now() - timedelta(days=1))
    empty = make_gallery(owner=organizer)
    for gallery in (public, unlisted, private, draft, closed):
        upload_photo(gallery)

    def status(gallery):
        return client.get(f"/g/{gallery.slug}/hero.jpg").status_code

    assert [status(g) for g in (public, unlisted, private, draft, closed, empty)] == [200, 200, 404, 404, 410, 404]
    assert client.get("/g/not-a-gallery/hero.jpg").status_code == 404

    client.post(f"/g/{private.slug}/access/", {"code": "letmein"})  # a guest with the code
    assert status(private) == 200
    assert status(draft) == 404

    client.force_login(organizer)  # its organizer sees the draft's and the closed gallery's
    assert [status(g) for g in (draft, closed)] == [200, 200]


def test_the_page_gives_phones_the_phone_hero_and_wider_screens_the_display_image(client):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=jpeg_bytes(width=3000, height=2000))
    gallery_set_cover(gallery=gallery, photo=photo)

    html = client.get(gallery.get_absolute_url()).text

    url = f"/g/{gallery.slug}/hero.jpg?v={hero.phone_hero_version(gallery, photo)}"
    assert f'<source media="(max-width: 599px)" srcset="{url.replace("&", "&amp;")}" width="720" height="632">' in html
    assert re.search(r'<img class="hero-image" src="[^"]+display[^"]*" srcset="[^"]+" sizes="100vw"', html)
    # Each screen preloads only the image it shows, ahead of everything else.
    assert f'<link rel="preload" as="image" href="{url}" media="(max-width: 599px)" fetchpriority="high">' in html
    assert re.search(
        r'<link rel="preload" as="image" href="[^"]+display[^"]*" imagesrcset="[^"]+" imagesizes="100vw" '
        r'media="\(min-width: 600px\)" fetchpriority="high">',
        html,
    )
    assert html.count('rel="preload" as="image"') == 2


def test_a_gallery_without_photos_has_no_phone_hero(client):
    gallery = make_gallery()
    html = client.get(gallery.get_absolute_url()).text
    assert "hero.jpg" not in html
    assert client.get(f"/g/{gallery.slug}/hero.jpg").status_code == 404


def test_without_a_decode_turn_a_phone_is_sent_to_the_covers_middle_image(client, settings):
    settings.DECODE_WAIT_S = 0.05
    gallery = make_gallery()
    photo = upload_photo(gallery, content=jpeg_bytes(width=3000, height=2000))
    url = phone_hero_url(client, gallery)
    with decoding.decode_turn(cost_bytes=0):  # the process's one turn, taken
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/photos/{photo.key}/middle")
    assert response["Cache-Control"] == "private, no-store"
    assert client.get(url).status_code == 200


def test_it_is_made_from_a_cover_in_a_bucket_and_sent_from_there(client, s3_storage):
    gallery = make_gallery()
    gallery.cover = upload_photo(gallery, content=half_red_half_blue(width=1200, height=1600))
    gallery.cover_focal_x, gallery.cover_focal_y = 50, 100
    gallery.save()

    response = client.get(phone_hero_url(client, gallery))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(response["Location"], timeout=5) as signed:
        image = Image.open(io.BytesIO(signed.read()))
        image.load()
    assert image.size == (720, 632)
    assert mostly(image) == "blue"
    assert default_storage.exists(hero.phone_hero_name(gallery, gallery.cover))
