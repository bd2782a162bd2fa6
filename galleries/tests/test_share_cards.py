"""Share cards in the admin: the gallery's address as a QR code (SVG, PNG) and the
printable table cards, for the organizer's own galleries only."""

import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from galleries import files
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db

ADMIN = "/admin/galleries/gallery"


@pytest.fixture
def owner():
    from accounts.services import organizers_group

    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _decoded(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


def test_the_png_decodes_to_the_gallerys_address(owner):
    gallery = make_gallery(owner=owner, slug="summer-party")

    response = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/qr.png?download=1")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="summer-party-qr.png"'
    assert _decoded(response.content) == "http://testserver/g/summer-party/"


def test_the_address_is_the_one_the_organizer_reached_the_site_by(owner, settings):
    settings.ALLOWED_HOSTS = ["photos.example.org"]
    gallery = make_gallery(owner=owner, slug="gala")

    response = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/qr.png", HTTP_HOST="photos.example.org", secure=True)

    assert _decoded(response.content) == "https://photos.example.org/g/gala/"


def test_the_svg_is_valid_xml_of_the_same_code(owner):
    gallery = make_gallery(owner=owner, slug="summer-party")

    response = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/qr.svg?download=1")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="summer-party-qr.svg"'
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None


@pytest.mark.parametrize("size", ["a6", "a5"])
def test_a_private_gallerys_card_shows_its_code(owner, size):
    gallery = make_gallery(
        owner=owner,
        name="Anna & Ben",
        slug="anna-ben",
        visibility=Gallery.Visibility.PRIVATE,
        access_code="juniper-42",
        face_search_enabled=True,
    )

    response = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/card/{size}/")

    assert response.status_code == 200
    text = response.text
    assert "Anna &amp; Ben" in text
    assert "juniper-42" in text
    assert "testserver/g/anna-ben" in text
    assert "Find me" in text
    assert f"share-card-{size}.css" in text
    assert f'src="{ADMIN}/{gallery.pk}/share/qr.svg"' in text
    assert "<script" not in text and "style=" not in text


def test_a_public_gallerys_card_shows_no_code_nor_find_me_when_off(owner):
    gallery = make_gallery(owner=owner, access_code="left-from-before")

    text = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/card/a6/").text

    assert "left-from-before" not in text
    assert "Access code" not in text
    assert "Find me" not in text


def test_the_sheet_holds_four_cards_and_cut_marks(owner):
    gallery = make_gallery(owner=owner)

    text = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/sheet/").text

    assert text.count('<article class="card">') == 4
    assert text.count('class="cut ') == 6
    assert "share-card-sheet.css" in text


def test_an_unknown_card_size_is_not_found(owner):
    gallery = make_gallery(owner=owner)

    assert _client(owner).get(f"{ADMIN}/{gallery.pk}/share/card/letter/").status_code == 404


def test_the_change_page_links_to_them(owner):
    gallery = make_gallery(owner=owner)

    text = _client(owner).get(f"{ADMIN}/{gallery.pk}/change/").text

    for url in (
        "share/qr.svg?download=1",
        "share/qr.png?download=1",
        "share/card/a6/",
        "share/card/a5/",
        "share/sheet/",
    ):
        assert f'href="{ADMIN}/{gallery.pk}/{url}"' in text


@pytest.mark.parametrize("url", ["share/qr.svg", "share/qr.png", "share/card/a6/", "share/sheet/"])
def test_only_its_owner_and_superusers_get_them(owner, url):
    gallery = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE, access_code="juniper-42")
    other = make_user(staff=True)
    from accounts.services import organizers_group

    other.groups.add(organizers_group())

    assert _client(owner).get(f"{ADMIN}/{gallery.pk}/{url}").status_code == 200
    assert _client(make_user(superuser=True)).get(f"{ADMIN}/{gallery.pk}/{url}").status_code == 200
    refused = _client(other).get(f"{ADMIN}/{gallery.pk}/{url}")
    assert refused.status_code == 404 and b"juniper-42" not in refused.content
    anonymous = _client().get(f"{ADMIN}/{gallery.pk}/{url}")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_the_public_base_url_wins_over_the_admins_host(owner, settings):
    settings.ALLOWED_HOSTS = ["admin.internal"]
    settings.PUBLIC_BASE_URL = "https://photos.example.org"
    gallery = make_gallery(owner=owner, slug="gala")

    png = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/qr.png", HTTP_HOST="admin.internal")
    card = _client(owner).get(f"{ADMIN}/{gallery.pk}/share/card/a6/", HTTP_HOST="admin.internal")

    assert _decoded(png.content) == "https://photos.example.org/g/gala/"
    assert "photos.example.org/g/gala/" in card.text
    assert "admin.internal" not in card.text


@pytest.mark.parametrize("value", ["photos.example.org", "https://photos.example.org/gallery", "ftp://photos"])
def test_a_public_base_url_that_is_not_a_scheme_and_host_stops_the_start(value):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventgallery.settings", "PUBLIC_BASE_URL": value}
    started = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.PUBLIC_BASE_URL"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "PUBLIC_BASE_URL must be a scheme and a host" in started.stderr


def test_a_card_shows_the_cover_else_the_first_photo_and_none_without_photos(owner):
    gallery = make_gallery(owner=owner)
    url = f"{ADMIN}/{gallery.pk}/share/card/a6/"
    assert "card-cover" not in _client(owner).get(url).text

    first, cover = upload_photo(gallery), upload_photo(gallery)
    # The middle size: a card's cover is some 10 cm wide, printed.
    assert f'<img class="card-cover" src="{files.photo_url(first, "middle")}"' in _client(owner).get(url).text

    gallery.cover = cover
    gallery.save()
    text = _client(owner).get(url).text
    assert f'<img class="card-cover" src="{files.photo_url(cover, "middle")}"' in text
    assert str(first.key) not in text
