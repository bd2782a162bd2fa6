"""The slideshow's JSON is in the projector's language, and its ETag and Vary keep one
language's slides from answering another's poll (galleries/slideshow.py)."""

from datetime import date

import pytest
from django.test import Client

from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db

ENGLISH = {"Accept-Language": "en"}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


@pytest.fixture
def gallery():
    gallery = make_gallery(name="Sommerfest", event_date=date(2026, 12, 6))
    upload_photo(gallery)
    return gallery


def _url(gallery) -> str:
    return f"/g/{gallery.slug}/slideshow/photos"


def test_each_language_gets_its_own_slides_and_etag(gallery):
    projector = Client()

    english = projector.get(_url(gallery), headers=ENGLISH)
    german = projector.get(_url(gallery), headers={**GERMAN, "If-None-Match": english["ETag"]})

    assert english.json()["photos"][0]["alt"] == "Sommerfest, 6 December 2026"
    assert german.status_code == 200
    assert german.json()["photos"][0]["alt"] == "Sommerfest, 6. Dezember 2026"
    assert german["ETag"] != english["ETag"]
    assert {"Accept-Language", "Cookie"} <= {part.strip() for part in german["Vary"].split(",")}


def test_a_poll_in_the_same_language_is_still_a_304(gallery):
    projector = Client()
    first = projector.get(_url(gallery), headers=GERMAN)

    again = projector.get(_url(gallery), headers={**GERMAN, "If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_the_language_chosen_with_the_switcher_names_the_answer(gallery):
    projector = Client()
    english = projector.get(_url(gallery), headers=ENGLISH)
    projector.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    french = projector.get(_url(gallery), headers={**ENGLISH, "If-None-Match": english["ETag"]})

    assert french.status_code == 200
    assert french.json()["photos"][0]["alt"] == "Sommerfest, 6 décembre 2026"
