"""Branding from settings: the site's name, logo and accent on every guest page, with
text on the accent and link shades of it that keep WCAG AA contrast whatever the
accent, and a start that stops on an accent that is not a colour."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eventgallery import branding
from galleries.tests.factories import make_gallery

ACCENTS = ["#9a5b2e", "#f59e0b", "#ffff00", "#1e40af", "#000000", "#ffffff", "#10b981", "#ff00ff", "#777777"]


@pytest.mark.parametrize("accent", ACCENTS)
def test_it_keeps_text_readable_on_and_in_any_accent(accent):
    colors = branding.colors(accent)

    assert branding.contrast_ratio(colors["on_accent"], accent) >= 4.5
    assert branding.contrast_ratio(colors["accent_text_light"], branding.LIGHT_BACKGROUND) >= 4.5
    assert branding.contrast_ratio(colors["accent_text_light"], "#ffffff") >= 4.5
    assert branding.contrast_ratio(colors["accent_text_dark"], branding.DARK_BACKGROUND) >= 4.5
    assert branding.contrast_ratio(colors["accent_text_dark"], "#121110") >= 4.5


def test_it_keeps_an_accent_that_already_reads_as_it_is():
    assert branding.colors("#1e40af")["accent_text_light"] == "#1e40af"
    assert branding.colors("#f59e0b")["accent_text_dark"] == "#f59e0b"
    assert branding.colors("#f59e0b")["on_accent"] == "#000000"  # dark text on amber
    assert branding.colors("#1e40af")["on_accent"] == "#ffffff"


def test_its_contrast_ratio_is_wcags():
    assert round(branding.contrast_ratio("#000000", "#ffffff"), 2) == 21
    assert round(branding.contrast_ratio("#777777", "#ffffff"), 2) == 4.48


@pytest.mark.parametrize(("value", "parsed"), [("#AbCdEf", "#abcdef"), (" #abc ", "#aabbcc")])
def test_it_reads_hex_colours(value, parsed):
    assert branding.parse_hex_color(value) == parsed


@pytest.mark.parametrize("value", ["red", "#12345", "#1234567", "rgb(0,0,0)", "#ggg000", ""])
def test_it_refuses_what_is_not_a_hex_colour(value):
    with pytest.raises(ValueError, match="is not a colour like"):
        branding.parse_hex_color(value)


def test_a_wrong_accent_stops_the_start_with_a_clear_message():
    environment = {**os.environ, "DEBUG": "true", "SITE_ACCENT_COLOR": "orange"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "eventgallery.settings"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SITE_ACCENT_COLOR: 'orange' is not a colour like #b45309" in result.stderr


def test_guest_pages_carry_the_name_logo_and_accent(client, db, settings):
    settings.SITE_NAME = "Studio Lumen"
    settings.SITE_LOGO_URL = "/static/lumen.svg"
    settings.SITE_ACCENT_COLOR = "#f59e0b"
    gallery = make_gallery(name="Summer party")

    for url in ["/", gallery.get_absolute_url(), "/g/no-such-gallery/"]:
        html = client.get(url).text
        assert "--accent: #f59e0b; --on-accent: #000000; --accent-text-light: #935f07;" in html
        assert '<img class="brand-logo" src="/static/lumen.svg" alt="Studio Lumen">' in html
    assert "<title>Summer party · Studio Lumen</title>" in client.get(gallery.get_absolute_url()).text


def test_every_page_links_the_favicon(client, db):
    html = client.get("/").text

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="icon" href="/static/favicon-32.png" sizes="32x32" type="image/png">' in html
    static = Path(__file__).resolve().parents[2] / "static"
    assert (static / "favicon.svg").read_text().startswith("<svg")
    assert (static / "favicon-32.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
