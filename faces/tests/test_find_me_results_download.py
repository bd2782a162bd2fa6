"""GET /g/<slug>/find-me/results/download/?r=<token>: "Download all my photos", the
photos of Find me's results in one ZIP, with every check of the results page made again
and the gallery's download policy. Who gets it in each gallery: the route matrix
(eventgallery/tests/expectations_site.py)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from html import unescape
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.core import signing
from django.http import StreamingHttpResponse

from faces.tests.find_me import face_search_gallery, results_token
from galleries.models import Gallery, Photo
from galleries.services.photos import photo_delete
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo


def download_url(gallery, token: str, *, with_maybe: bool = False) -> str:
    return f"/g/{gallery.slug}/find-me/results/download/?r={token}" + ("&maybe=1" if with_maybe else "")


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None  # every file's CRC checks out
    return archive


def _download_links(html: str, size: str = "original") -> list[str]:
    """The ZIP menus' links to a size, without the size: the route's address (each photo's
    own menu, which links to its file under /photos/, aside)."""
    pattern = r'<a class="download-menu-option" href="([^"]+)" download data-size="' + size + '"'
    links = [unquote(unescape(href)).removesuffix(f"&size={size}") for href in re.findall(pattern, html)]
    return [link for link in links if not link.startswith("/photos/")]


@pytest.fixture
def gallery(db):
    return face_search_gallery(slug="summer-party")


@pytest.fixture
def photos(gallery):
    contents = [unique_jpeg() for _ in range(4)]
    return [upload_photo(gallery, content=content, filename=f"IMG_{n}.jpg") for n, content in enumerate(contents)]


def test_it_holds_the_photos_that_are_you_and_nothing_else(client, gallery, photos):
    you, maybe, _not_found = photos[:2], photos[2:3], photos[3]

    response = client.get(download_url(gallery, results_token(gallery, you=you, maybe=maybe)))

    archive = _archive(response)
    assert archive.namelist() == ["IMG_0.jpg", "IMG_1.jpg"]
    for photo, name in zip(you, archive.namelist(), strict=True):
        with photo.original.open("rb") as fh:
            assert archive.read(name) == fh.read()
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="summer-party-my-photos.zip"'
    assert response["Cache-Control"] == "private, no-store"


def test_with_the_maybes_it_holds_those_too(client, gallery, photos):
    token = results_token(gallery, you=photos[:1], maybe=photos[2:4])

    archive = _archive(client.get(download_url(gallery, token, with_maybe=True)))

    assert archive.namelist() == ["IMG_0.jpg", "IMG_2.jpg", "IMG_3.jpg"]


def test_the_results_page_links_to_my_photos_and_to_them_with_the_maybes(client, gallery, photos):
    token = results_token(gallery, you=photos[:2], maybe=photos[2:3])

    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={token}")

    assert page.status_code == 200
    assert _download_links(page.text) == [download_url(gallery, token), download_url(gallery, token, with_maybe=True)]
    assert "Download all my photos <span" in page.text
    assert "(2 photos)" in page.text and "(3 photos)" in page.text


def test_only_maybes_get_one_link_that_says_so(client, gallery, photos):
    token = results_token(gallery, you=[], maybe=photos[:1])

    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={token}")

    assert _download_links(page.text) == [download_url(gallery, token, with_maybe=True)]
    assert "Download the photos that may be you" in page.text


def test_nothing_found_offers_no_download(client, gallery):
    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=[])}")

    assert _download_links(page.text) == []


def test_display_size_downloads_give_the_display_images(client, gallery, photos):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.DISPLAY)
    token = results_token(gallery, you=photos[:1])

    archive = _archive(client.get(download_url(gallery, token)))

    assert archive.namelist() == ["IMG_0.jpg"]
    with photos[0].display.open("rb") as fh:
        assert archive.read("IMG_0.jpg") == fh.read()
    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={token}").text
    assert _download_links(page, "original") == []
    assert _download_links(page, "large") == _download_links(page, "web") == [download_url(gallery, token)]


def test_without_downloads_there_is_no_link_and_the_route_refuses(client, gallery, photos):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.NONE)
    token = results_token(gallery, you=photos[:1])

    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={token}")
    response = client.get(download_url(gallery, token))

    assert page.status_code == 200 and _download_links(page.text) == []
    assert response.status_code == 403


def test_its_organizer_gets_the_originals_whatever_the_policy(client, gallery, photos):
    owner = make_user(staff=True)
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.NONE, owner=owner)
    client.force_login(owner)

    archive = _archive(client.get(download_url(gallery, results_token(gallery, you=photos[:1]))))

    assert archive.namelist() == ["IMG_0.jpg"]


def test_a_forged_token_is_refused(client, gallery, photos):
    token = results_token(gallery, you=photos[:1])
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.get(download_url(gallery, forged))

    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"


def test_another_gallerys_token_is_refused(client, gallery, photos):
    elsewhere = face_search_gallery()
    theirs = upload_photo(elsewhere)

    response = client.get(download_url(gallery, results_token(elsewhere, you=[theirs])))

    assert response.status_code == 400


def test_an_expired_token_is_refused(client, gallery, photos, settings, monkeypatch):
    settings.FIND_ME_RESULTS_MAX_AGE_S = 1
    url = download_url(gallery, results_token(gallery, you=photos[:1]))
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 2))

    response = client.get(url)

    assert response.status_code == 410
    assert "These results have expired" in response.text


def test_photos_deleted_since_the_search_are_left_out(client, gallery, photos):
    token = results_token(gallery, you=photos[:2])
    photo_delete(photo=photos[0])

    archive = _archive(client.get(download_url(gallery, token)))

    assert archive.namelist() == ["IMG_1.jpg"]


def test_photos_no_longer_ready_are_left_out(client, gallery, photos):
    token = results_token(gallery, you=photos[:2])
    Photo.objects.filter(pk=photos[1].pk).update(status=Photo.Status.PROCESSING)

    archive = _archive(client.get(download_url(gallery, token)))

    assert archive.namelist() == ["IMG_0.jpg"]


def test_with_find_me_off_the_route_is_not_there(client, gallery, photos):
    token = results_token(gallery, you=photos[:1])
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=False)

    assert client.get(download_url(gallery, token)).status_code == 404


def test_a_private_gallery_asks_for_its_code_first(client, db):
    private = face_search_gallery(visibility=Gallery.Visibility.PRIVATE)
    token = results_token(private, you=[upload_photo(private)])

    response = client.get(download_url(private, token))

    assert response.status_code == 302
    assert response["Location"] == f"/g/{private.slug}/access/"


def test_a_gallery_without_find_me_from_the_start_is_not_found(client, db):
    plain = make_gallery()

    assert client.get(download_url(plain, results_token(plain, you=[upload_photo(plain)]))).status_code == 404
