"""The language of a page (eventgallery/languages.py): `?lang=` in the link, then the
guest's remembered choice, then the browser's Accept-Language, then the gallery's
default, then English; the switcher; gallery pages cached per language; the table
card's QR code carrying the card's language."""

import io
import re
from datetime import date

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from PIL import Image

from galleries.tests.factories import make_gallery, make_organizer, upload_photo

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
GERMAN_BROWSER = "de-DE,de;q=0.9,en;q=0.8"


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text)[1]


@pytest.fixture
def gallery():
    return make_gallery(name="Sommerfest", event_date=date(2026, 12, 6))


def test_it_speaks_the_browsers_language(client, gallery):
    response = client.get(gallery.get_absolute_url(), headers={"Accept-Language": GERMAN_BROWSER})

    assert _lang(response) == "de"
    assert "Diashow" in response.text and ">Slideshow<" not in response.text
    assert "6. Dezember 2026" in response.text
    assert response["Content-Language"] == "de"
    assert {"Accept-Language", "Cookie"} <= {part.strip() for part in response["Vary"].split(",")}


def test_a_regional_browser_language_gets_its_language(client, gallery):
    french = client.get(gallery.get_absolute_url(), headers={"Accept-Language": "fr-CA"})
    english = client.get(gallery.get_absolute_url(), headers={"Accept-Language": "pl-PL, en-GB;q=0.5"})

    assert _lang(french) == "fr" and "6 décembre 2026" in french.text
    assert _lang(english) == "en" and "6 December 2026" in english.text


def test_the_gallerys_default_serves_browsers_asking_for_no_language_the_site_speaks(client):
    french_wedding = make_gallery(default_language="fr")
    plain = make_gallery()

    assert _lang(client.get(french_wedding.get_absolute_url(), headers={"Accept-Language": "pl"})) == "fr"
    assert _lang(client.get(french_wedding.get_absolute_url())) == "fr"
    # Its pages only: the home page and other galleries stay in the site's language.
    assert _lang(client.get("/", headers={"Accept-Language": "pl"})) == "en"
    assert _lang(client.get(plain.get_absolute_url(), headers={"Accept-Language": "pl"})) == "en"
    # A browser asking for a language the site speaks gets it.
    assert _lang(client.get(french_wedding.get_absolute_url(), headers={"Accept-Language": "de"})) == "de"


def test_the_remembered_choice_outweighs_the_browser_and_the_gallery(client):
    gallery = make_gallery(default_language="de")
    client.cookies[COOKIE] = "fr"

    assert _lang(client.get(gallery.get_absolute_url(), headers={"Accept-Language": GERMAN_BROWSER})) == "fr"


def test_lang_in_the_link_wins_and_is_remembered_by_a_guest_who_has_not_chosen(client, gallery):
    response = client.get(gallery.get_absolute_url(), {"lang": "de"}, headers={"Accept-Language": "fr"})

    assert _lang(response) == "de"
    assert response.cookies[COOKIE].value == "de"
    # The next page, without ?lang=, stays in it.
    assert _lang(client.get(f"/g/{gallery.slug}/privacy/", headers={"Accept-Language": "fr"})) == "de"


def test_lang_in_the_link_never_overwrites_a_choice(client, gallery):
    client.cookies[COOKIE] = "fr"

    response = client.get(gallery.get_absolute_url(), {"lang": "de"})

    assert _lang(response) == "de"
    assert COOKIE not in response.cookies
    assert _lang(client.get(gallery.get_absolute_url())) == "fr"


def test_a_language_that_is_not_shipped_is_never_chosen(client, gallery, settings):
    settings.SHIPPED_LANGUAGES = ["en", "de"]
    client.cookies[COOKIE] = "fr"

    assert _lang(client.get(gallery.get_absolute_url(), {"lang": "fr"}, headers={"Accept-Language": "fr"})) == "en"
    # Nor offered by the switcher.
    page = client.get(gallery.get_absolute_url()).text
    assert 'value="de"' in page and 'value="fr"' not in page


def test_the_switcher_works_without_javascript_and_is_remembered(gallery):
    # As a browser posts the plain form: no CSRF token in it (the page stays cacheable).
    client = Client(enforce_csrf_checks=True)
    page = client.get(gallery.get_absolute_url(), headers={"Accept-Language": "en"}).text
    form = re.search(r'<form class="language-switcher" action="([^"]+)" method="post">(.*?)</form>', page, re.S)
    assert form and "csrfmiddlewaretoken" not in form[2]
    assert re.findall(r'<option value="([^"]+)"', form[2]) == settings.SHIPPED_LANGUAGES
    assert '<option value="en" lang="en" selected>English</option>' in form[2]

    response = client.post(form[1], {"language": "de", "next": gallery.get_absolute_url()})

    assert response.status_code == 302 and response["Location"] == gallery.get_absolute_url()
    assert response.cookies[COOKIE].value == "de"
    again = client.get(gallery.get_absolute_url(), headers={"Accept-Language": "en"})
    assert _lang(again) == "de" and '<option value="de" lang="de" selected>Deutsch</option>' in again.text


def test_the_switcher_never_sends_back_to_a_lang_link(client, gallery):
    page = client.get(gallery.get_absolute_url(), {"lang": "de", "page": "1"}).text

    assert f'<input type="hidden" name="next" value="{gallery.get_absolute_url()}">' in page


def test_cached_gallery_pages_are_kept_per_language(client, gallery, django_assert_num_queries):
    upload_photo(gallery)
    url = gallery.get_absolute_url()
    english = client.get(url, headers={"Accept-Language": "en"})
    german = client.get(url, headers={"Accept-Language": GERMAN_BROWSER})
    with django_assert_num_queries(1):  # the gallery's row: the rest comes from the cache
        english_again = client.get(url, headers={"Accept-Language": "en"})
    with django_assert_num_queries(1):
        german_again = client.get(url, headers={"Accept-Language": GERMAN_BROWSER})
    fragment = client.get(url, {"fragment": 1}, headers={"Accept-Language": GERMAN_BROWSER})

    assert "1 photo\n" in english.text and "1 Foto\n" in german.text
    assert english_again.content == english.content and _lang(english_again) == "en"
    assert german_again.content == german.content and _lang(german_again) == "de"
    assert "Sommerfest, 6. Dezember 2026: Foto 1 von 1" in fragment.text


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [("en", "1 photo\n", "2 photos\n"), ("de", "1 Foto\n", "2 Fotos\n"), ("fr", "1 photo\n", "2 photos\n")],
)
def test_counts_take_the_languages_plural(client, gallery, language, one, two):
    upload_photo(gallery)
    assert one in client.get(gallery.get_absolute_url(), {"lang": language}).text
    upload_photo(gallery)
    assert two in client.get(gallery.get_absolute_url(), {"lang": language}).text


def test_german_pages_speak_german(client, gallery):
    client.cookies[COOKIE] = "de"
    slug = gallery.slug

    assert "Noch keine Fotos" in client.get(f"/g/{slug}/").text
    assert "„Finde mich“ gibt es hier nicht" in client.get(f"/g/{slug}/find-me/").text
    assert "Nicht gefunden" in client.get("/g/no-such-gallery/").text
    assert "Die Fotos von Sommerfest erscheinen hier" in client.get(f"/g/{slug}/slideshow/").text
    assert "Meine Favoriten" in client.get(f"/g/{slug}/favourites/").text


def test_the_api_stays_in_english(client):
    response = client.get("/api/gallery/999999", headers={"Accept-Language": GERMAN_BROWSER})

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No gallery has this id."
    assert "Content-Language" not in response
    assert "Accept-Language" not in response.get("Vary", "")


def _card(client, gallery, query=""):
    return client.get(f"/admin/galleries/gallery/{gallery.pk}/share/card/a6/{query}")


def _qr_text(client, src: str) -> str:
    png = client.get(src.replace("qr.svg", "qr.png")).content
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def test_a_table_card_in_the_language_chosen_carries_it_in_its_qr_link(gallery):
    organizer = make_organizer()
    gallery.owner = organizer
    gallery.save()
    client = Client()
    client.force_login(organizer)

    card = _card(client, gallery, "?lang=de")

    assert card.status_code == 200
    assert "Scannen und Fotos ansehen" in card.text and "Sonntag, 6. Dezember 2026" in card.text
    src = re.search(r'<img class="card-qr" src="([^"]+)"', card.text)[1]
    assert src.endswith("?lang=de")
    assert _qr_text(client, src) == f"http://testserver/g/{gallery.slug}/?lang=de"


def test_a_table_card_is_in_the_gallerys_default_language_unless_another_is_chosen(gallery):
    organizer = make_organizer()
    client = Client()
    client.force_login(organizer)
    french = make_gallery(owner=organizer, default_language="fr", event_date=date(2026, 12, 6))
    plain = make_gallery(owner=organizer)

    card = _card(client, french)
    assert "Scannez pour voir les photos" in card.text and "dimanche 6 décembre 2026" in card.text
    src = re.search(r'<img class="card-qr" src="([^"]+)"', card.text)[1]
    assert _qr_text(client, src) == f"http://testserver/g/{french.slug}/?lang=fr"

    # No language chosen: an English card whose code lets each guest's browser choose.
    card = _card(client, plain)
    assert "Scan for the photos" in card.text
    src = re.search(r'<img class="card-qr" src="([^"]+)"', card.text)[1]
    assert _qr_text(client, src) == f"http://testserver/g/{plain.slug}/"


def test_the_slideshows_code_lets_each_guest_choose(client):
    gallery = make_gallery(default_language="de")

    page = client.get(f"/g/{gallery.slug}/slideshow/").text

    assert _lang(client.get(f"/g/{gallery.slug}/slideshow/")) == "de"
    assert "lang=" not in re.search(r'<div class="slideshow-qr".*?</div>', page, re.S)[0]


def test_a_page_asked_for_without_accept_language_reads_the_gallerys_default_once_a_minute(client, gallery):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = {"Accept-Language": "en"}
    client.get(gallery.get_absolute_url(), headers=browser)
    with CaptureQueriesContext(connection) as as_a_browser:
        client.get(gallery.get_absolute_url(), headers=browser)
    with CaptureQueriesContext(connection) as without:
        client.get(gallery.get_absolute_url())
    with CaptureQueriesContext(connection) as without_again:
        client.get(gallery.get_absolute_url())

    assert len(without) == len(as_a_browser) + 1
    assert len(without_again) == len(as_a_browser)


def test_a_refused_address_is_not_repeated_by_the_switcher(client, gallery):
    page = client.get(f"/g/{gallery.slug}/p/00000000-0000-4000-8000-000000000000/")

    assert page.status_code == 404
    assert "00000000-0000-4000-8000-000000000000" not in page.text
    assert '<input type="hidden" name="next" value="/">' in page.text
