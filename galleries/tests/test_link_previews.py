"""Link previews: what WhatsApp, iMessage and the like read from a gallery's address (the
Open Graph and Twitter card tags of its page, at absolute addresses, and the 1200 x 630
image they point to), and what they must not get (a private gallery's photos, a draft,
a closed gallery)."""

import io
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from PIL import Image

from galleries import decoding
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo
from galleries.tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.tags.setdefault(attrs.get("property") or attrs["name"], []).append(attrs.get("content", ""))


def meta(response) -> dict[str, str]:
    """The page's meta tags by property or name (each once)."""
    parser = _Meta()
    parser.feed(response.content.decode())
    assert all(len(values) == 1 for values in parser.tags.values()), parser.tags
    return {key: values[0] for key, values in parser.tags.items()}


PREVIEW_TAGS = {"og:title", "og:description", "og:url", "og:image", "twitter:card", "twitter:image", "description"}


def half_red_half_blue(*, width=400, height=800) -> bytes:
    """A tall photo, red above and blue below: a 1200 x 630 crop shows which part it took."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (0, height // 2, width, height))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def preview_image(client, tags) -> Image.Image:
    response = client.get(urlsplit(tags["og:image"]).path + "?" + urlsplit(tags["og:image"]).query)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    # WhatsApp leaves out images of more than about 300 KB.
    assert len(response.content) < 300_000
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_a_public_gallery_previews_with_its_name_description_and_cover_at_absolute_addresses(client, settings):
    settings.PUBLIC_BASE_URL = "https://photos.example.org"
    gallery = make_gallery(name="Summer party", description="By the lake,\n  all afternoon.")
    photo = upload_photo(gallery, content=jpeg_bytes(width=1600, height=1067))
    gallery.cover = photo
    gallery.save()

    tags = meta(client.get(gallery.get_absolute_url()))

    assert tags.keys() >= PREVIEW_TAGS
    assert tags["og:title"] == tags["twitter:title"] == "Summer party"
    assert tags["description"] == tags["og:description"] == "By the lake, all afternoon."
    assert tags["og:url"] == f"https://photos.example.org/g/{gallery.slug}/"
    assert tags["og:image"].startswith(f"https://photos.example.org/g/{gallery.slug}/preview.jpg?v=")
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image"
    assert (tags["og:image:width"], tags["og:image:height"], tags["og:image:type"]) == ("1200", "630", "image/jpeg")
    assert preview_image(client, tags).size == (1200, 630)


def test_without_a_public_base_url_the_addresses_are_the_host_asked(client, settings):
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    gallery = make_gallery()
    upload_photo(gallery)

    for host in ("a.example", "b.example", "a.example"):  # each host's page from the cache too
        tags = meta(client.get(gallery.get_absolute_url(), HTTP_HOST=host))
        assert tags["og:url"] == f"http://{host}/g/{gallery.slug}/"
        assert tags["og:image"].startswith(f"http://{host}/g/{gallery.slug}/preview.jpg?v=")


def test_an_unlisted_gallery_previews_with_its_cover(client):
    gallery = make_gallery(visibility=Gallery.Visibility.UNLISTED, event_date="2026-06-20")
    upload_photo(gallery)
    tags = meta(client.get(gallery.get_absolute_url()))
    assert tags.keys() >= PREVIEW_TAGS
    assert tags["description"] == f"1 photo of {gallery.name} on 20 June 2026, to browse and download."
    assert preview_image(client, tags).size == (1200, 630)


def test_the_preview_image_is_the_cover_cut_at_its_focal_point(client):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=half_red_half_blue())
    gallery.cover = photo
    for focal_y, top_half in ((0, "red"), (100, "blue")):
        gallery.cover_focal_x, gallery.cover_focal_y = 50, focal_y
        gallery.save()
        image = preview_image(client, meta(client.get(gallery.get_absolute_url())))
        red, _, blue = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        assert (red > blue) == (top_half == "red"), (focal_y, red, blue)


def test_a_new_focal_point_gives_the_image_a_new_address(client):
    gallery = make_gallery()
    gallery.cover = upload_photo(gallery)
    gallery.save()
    before = meta(client.get(gallery.get_absolute_url()))["og:image"]
    gallery.cover_focal_x, gallery.cover_focal_y = 10, 10
    gallery.save()
    assert meta(client.get(gallery.get_absolute_url()))["og:image"] != before


def test_a_private_gallerys_preview_says_its_name_only(client):
    gallery = make_gallery(name="Staff dinner", visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    upload_photo(gallery)

    # A chat app's crawler, without the code, follows the redirect to the code's page.
    response = client.get(gallery.get_absolute_url(), follow=True)
    assert response.redirect_chain[-1][0] == f"/g/{gallery.slug}/access/"
    tags = meta(response)
    assert tags["og:title"] == "Staff dinner"
    assert tags["twitter:card"] == "summary"
    assert not {"og:image", "twitter:image", "og:description", "description"} & tags.keys()
    assert client.get(f"/g/{gallery.slug}/preview.jpg").status_code == 404

    # Nor from the page of a guest who gave the code: whoever shares it, the link shows no photo.
    client.post(f"/g/{gallery.slug}/access/", {"code": "letmein"})
    tags = meta(client.get(gallery.get_absolute_url()))
    assert tags["og:title"] == "Staff dinner"
    assert not {"og:image", "og:description", "description"} & tags.keys()


def test_drafts_and_closed_galleries_give_no_preview(client):
    organizer = make_user(staff=True)
    draft = make_gallery(is_published=False, owner=organizer)
    closed = make_gallery(owner=organizer, closes_at=timezone.now() - timedelta(days=1))
    for gallery in (draft, closed):
        upload_photo(gallery)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(f"/g/{draft.slug}/preview.jpg").status_code == 404
    response = client.get(closed.get_absolute_url())
    assert response.status_code == 410
    assert not meta(response).keys() & {"og:title", "og:image", "description"}
    assert client.get(f"/g/{closed.slug}/preview.jpg").status_code == 410

    client.force_login(organizer)  # its organizer sees both pages, without a preview
    for gallery in (draft, closed):
        response = client.get(gallery.get_absolute_url())
        assert response.status_code == 200
        assert not meta(response).keys() & {"og:title", "og:image", "description"}


def test_a_gallery_without_photos_previews_without_an_image(client):
    gallery = make_gallery(name="Winter ball")
    tags = meta(client.get(gallery.get_absolute_url()))
    assert tags["og:title"] == "Winter ball"
    assert tags["description"] == "The photos of Winter ball, coming soon."
    assert tags["twitter:card"] == "summary"
    assert "og:image" not in tags
    assert client.get(f"/g/{gallery.slug}/preview.jpg").status_code == 404


def test_the_preview_image_waits_for_a_decode_turn_and_says_when_to_come_back(client, settings):
    settings.DECODE_WAIT_S = 0.05
    gallery = make_gallery()
    upload_photo(gallery)
    with decoding.decode_turn(cost_bytes=0):  # the process's one turn, taken
        response = client.get(f"/g/{gallery.slug}/preview.jpg")
    assert response.status_code == 503
    assert response["Retry-After"] == str(decoding.RETRY_AFTER_S)
    assert client.get(f"/g/{gallery.slug}/preview.jpg").status_code == 200


def test_the_preview_image_is_made_once_for_each_change_of_the_gallery(client, monkeypatch):
    from galleries import share

    gallery = make_gallery()
    upload_photo(gallery)
    made = []
    real = share.link_preview_image
    monkeypatch.setattr(share, "link_preview_image", lambda **kw: made.append(1) or real(**kw))
    first = client.get(f"/g/{gallery.slug}/preview.jpg").content
    assert client.get(f"/g/{gallery.slug}/preview.jpg").content == first
    assert len(made) == 1


def test_the_preview_image_is_made_from_a_cover_stored_in_a_bucket(client, s3_storage):
    gallery = make_gallery()
    gallery.cover = upload_photo(gallery, content=half_red_half_blue())
    gallery.cover_focal_x, gallery.cover_focal_y = 50, 100
    gallery.save()
    image = preview_image(client, meta(client.get(gallery.get_absolute_url())))
    assert image.size == (1200, 630)
    red, _, blue = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert blue > red
