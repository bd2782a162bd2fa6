"""A photo page's link preview (galleries/share.py photo_link_preview): a public or
unlisted gallery's photo shows itself, its web image at an absolute address that a
crawler without cookies can fetch; a private gallery's shows no photo."""

import io
from urllib.parse import urlsplit

import pytest
from django.test import Client
from PIL import Image

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.test_link_previews import meta

pytestmark = pytest.mark.django_db


def _page(gallery, photo) -> str:
    return f"/g/{gallery.slug}/p/{photo.key}/"


@pytest.mark.parametrize("visibility", [Gallery.Visibility.PUBLIC, Gallery.Visibility.UNLISTED])
def test_a_photo_page_previews_its_own_photo(settings, visibility):
    settings.PUBLIC_BASE_URL = "https://photos.example.org"
    gallery = make_gallery(name="Sommerfest", visibility=visibility)
    upload_photo(gallery, content=unique_jpeg(), filename="first.jpg")
    photo = upload_photo(gallery, content=unique_jpeg(width=3000, height=2000), filename="IMG_1234.jpg")
    crawler = Client()  # a chat app's: no cookies, no code

    tags = meta(crawler.get(_page(gallery, photo)))

    assert tags["og:url"] == f"https://photos.example.org{_page(gallery, photo)}"
    assert tags["og:title"] == "Photo 2 · Sommerfest"
    assert tags["og:description"] == tags["description"] == tags["og:image:alt"] == "Sommerfest: photo 2 of 2"
    image_url = urlsplit(tags["og:image"])
    assert (image_url.scheme, image_url.netloc) == ("https", "photos.example.org")
    assert image_url.path == f"/photos/{photo.key}/middle"
    assert tags["twitter:image"] == tags["og:image"] and tags["twitter:card"] == "summary_large_image"
    image = crawler.get(f"{image_url.path}?{image_url.query}")
    assert image.status_code == 200
    drawn = Image.open(io.BytesIO(b"".join(image.streaming_content)))
    assert (str(drawn.width), str(drawn.height)) == (tags["og:image:width"], tags["og:image:height"]) == ("1024", "683")


def test_a_photo_without_a_middle_image_previews_its_large_one(client):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=800, height=600))
    photo.middle = ""
    photo.save(update_fields=["middle"])

    tags = meta(client.get(_page(gallery, photo)))

    assert urlsplit(tags["og:image"]).path == f"/photos/{photo.key}/display"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("800", "600")


def test_a_private_photo_page_shows_no_photo_even_to_a_guest_with_the_code():
    gallery = make_gallery(name="Hochzeit", visibility=Gallery.Visibility.PRIVATE, access_code="letmein")
    photo = upload_photo(gallery, content=unique_jpeg())
    guest = Client()
    guest.post(f"/g/{gallery.slug}/access/", {"code": "letmein"})

    page = guest.get(_page(gallery, photo))
    tags = meta(page)
    crawled = meta(Client().get(_page(gallery, photo), follow=True))

    assert page.status_code == 200
    assert tags["og:title"].endswith("· Hochzeit")
    assert "og:image" not in tags and "twitter:image" not in tags and "og:description" not in tags
    assert tags["twitter:card"] == "summary"
    assert "og:image" not in crawled
