"""Downloads at a size the visitor chooses (galleries/download_sizes.py): `?size=original|
large|web` on Download all, Find me's "my photos" and my favourites, and the links of one
photo's sizes; within the gallery's download policy; each offered with about its MB."""

from __future__ import annotations

import io
import os
import re
import zipfile
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from faces.tests.find_me import face_search_gallery, results_token
from favourites.tests.conftest import heart
from galleries import download_sizes, files
from galleries.files import photo_view_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_user, unique_jpeg, upload_photo

POLICIES = [Gallery.Downloads.ORIGINALS, Gallery.Downloads.DISPLAY, Gallery.Downloads.NONE]
# What each size sends: the stored file of the photo.
FIELD = {"original": "original", "large": "display", "web": "middle"}


def _stored(photo: Photo, size: str) -> bytes:
    with default_storage.open(getattr(photo, FIELD[size]).name, "rb") as fh:
        return fh.read()


def _entries(response) -> dict[str, bytes]:
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def _expected(policy: str, visitor: str, asked: str | None) -> tuple[int, str | None]:
    """(status, size sent) for a visitor asking a gallery of this policy for a size."""
    allowed = {
        Gallery.Downloads.ORIGINALS: ("original", "large", "web"),
        Gallery.Downloads.DISPLAY: ("large", "web"),
        Gallery.Downloads.NONE: (),
    }[policy]
    if visitor == "owner":
        allowed = ("original", "large", "web")
    if not allowed:
        return 403, None  # downloads are off: whatever the size
    if asked is None:
        return 200, allowed[0]
    if asked not in download_sizes.SIZES:
        return 400, None
    return (200, asked) if asked in allowed else (403, None)


@pytest.fixture
def owner(db):
    return make_user(staff=True)


@pytest.fixture
def gallery(owner):
    return face_search_gallery(owner=owner, slug="anna-ben")


@pytest.fixture
def photo(gallery):
    # Larger than the display size: three files of three sizes.
    return upload_photo(gallery, content=unique_jpeg(width=2000, height=1500), filename="DSC_0001.jpg")


def _client(visitor: str, owner) -> Client:
    client = Client()
    if visitor == "owner":
        client.force_login(owner)
    return client


def _route(route: str, client: Client, gallery, photo) -> str:
    if route == "all":
        return f"/g/{gallery.slug}/download/"
    if route == "favourites":
        assert heart(client, photo).status_code == 200
        return f"/g/{gallery.slug}/favourites/download/"
    return f"/g/{gallery.slug}/find-me/results/download/?r={results_token(gallery, you=[photo])}"


@pytest.mark.parametrize("route", ["all", "favourites", "find-me"])
@pytest.mark.parametrize("visitor", ["owner", "guest"])
@pytest.mark.parametrize("policy", POLICIES)
def test_every_size_on_every_route_is_served_as_the_policy_says(gallery, photo, owner, route, visitor, policy):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=policy)
    client = _client(visitor, owner)
    url = _route(route, client, gallery, photo)
    joiner = "&" if "?" in url else "?"

    for asked in (None, "original", "large", "web", "huge"):
        response = client.get(url if asked is None else f"{url}{joiner}size={asked}")
        status, sent = _expected(policy, visitor, asked)
        assert response.status_code == status, (asked, response.status_code)
        if sent:
            assert list(_entries(response).values()) == [_stored(photo, sent)], asked
        elif policy != Gallery.Downloads.NONE or visitor == "owner":  # refused for its size: says why
            assert response["Content-Type"] == "text/plain; charset=utf-8"
            assert response["Cache-Control"] == "private, no-store"


def test_a_refusal_says_why(client, gallery, photo):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.DISPLAY)

    unknown = client.get(f"/g/{gallery.slug}/download/?size=huge")
    forbidden = client.get(f"/g/{gallery.slug}/download/?size=original")

    assert unknown.status_code == 400 and "There is no download size called “huge”." in unknown.text
    assert forbidden.status_code == 403
    assert "does not offer downloads at this size" in forbidden.text


def test_a_web_size_entry_is_byte_for_byte_the_stored_middle_image_under_the_uploaded_name(client, gallery, photo):
    response = client.get(f"/g/{gallery.slug}/download/?size=web")

    assert _entries(response) == {"DSC_0001.jpg": _stored(photo, "web")}
    assert _stored(photo, "web") != _stored(photo, "large") != _stored(photo, "original")
    assert response["Content-Disposition"] == f'attachment; filename="{gallery.slug}-web.zip"'


def test_a_photo_without_a_middle_image_gives_its_display_image_at_web_size(client, gallery, photo):
    Photo.objects.filter(pk=photo.pk).update(middle="")

    assert list(_entries(client.get(f"/g/{gallery.slug}/download/?size=web")).values()) == [_stored(photo, "large")]


def test_a_guest_gets_the_blurred_display_image_of_a_blurred_photo_at_original_size(client, owner, gallery, photo):
    Photo.objects.filter(pk=photo.pk).update(faces_blurred=True)
    owner_client = _client("owner", owner)

    as_guest = _entries(client.get(f"/g/{gallery.slug}/download/?size=original"))
    as_owner = _entries(owner_client.get(f"/g/{gallery.slug}/download/?size=original"))

    assert list(as_guest.values()) == [_stored(photo, "large")]
    assert list(as_owner.values()) == [_stored(photo, "original")]


# --- The menus ---------------------------------------------------------------------------


def _menu(html: str) -> dict[str, tuple[str, str]]:
    """{size: (link, the line's words)} of the first download menu of a page (a photo's
    page has its sizes in the viewer's menu)."""
    menus = ('<details class="download-menu">', '<div class="viewer-menu viewer-sizes-list">')
    start = next(menu for menu in menus if menu in html)
    menu = html.split(start, 1)[1].split("</details>", 1)[0]
    options = re.findall(r'href="([^"]+)" download data-size="(\w+)">(.*?)</a>', menu, flags=re.S)
    return {size: (unescape(url), " ".join(re.sub(r"<[^>]+>", " ", words).split())) for url, size, words in options}


def _megabytes(total: int) -> str:
    megabytes = total / 1e6
    return f"{round(megabytes) if megabytes >= 10 else max(0.1, round(megabytes, 1)):g}"


def _noisy_jpeg(width: int, height: int) -> bytes:
    """A JPEG that does not compress much, as a camera's are: megabytes, not kilobytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_the_byte_totals_are_the_stored_files_and_a_zip_entry_each(gallery, photo):
    second = upload_photo(gallery, content=_noisy_jpeg(2400, 1600), filename="DSC_0002.jpg")

    totals = download_sizes.photos_bytes(gallery=gallery, photo_ids=None, guest=True)
    of_second = download_sizes.photos_bytes(gallery=gallery, photo_ids=[second.pk], guest=True)

    for size in download_sizes.SIZES:
        assert totals[size] == sum(len(_stored(p, size)) + 150 for p in (photo, second))
        assert of_second[size] == len(_stored(second, size)) + 150
    assert of_second["original"] > 3_000_000 > of_second["large"] > of_second["web"]


def test_a_processed_photo_records_its_files_bytes_and_the_totals_need_no_storage(gallery, photo, monkeypatch):
    assert photo.middle_bytes == len(_stored(photo, "web"))
    assert photo.display_bytes == len(_stored(photo, "large"))
    expected = download_sizes.photos_bytes(gallery=gallery, photo_ids=None, guest=True)

    # The next change of the gallery makes the table again: from the rows alone.
    Gallery.objects.filter(pk=gallery.pk).touch()
    gallery.refresh_from_db()
    asked = []
    monkeypatch.setattr(files, "stored_sizes", lambda names: asked.extend(names) or {})

    assert download_sizes.photos_bytes(gallery=gallery, photo_ids=None, guest=True) == expected
    assert asked == []


def test_a_photo_processed_before_the_sizes_were_recorded_is_counted_from_the_storage(gallery, photo):
    expected = download_sizes.photos_bytes(gallery=gallery, photo_ids=None, guest=True)
    Photo.objects.filter(pk=photo.pk).update(middle_bytes=None, display_bytes=None)
    Gallery.objects.filter(pk=gallery.pk).touch()
    gallery.refresh_from_db()

    assert download_sizes.photos_bytes(gallery=gallery, photo_ids=None, guest=True) == expected


def test_the_gallery_menu_offers_each_allowed_size_with_about_its_mb(client, gallery, photo):
    second = upload_photo(gallery, content=_noisy_jpeg(2400, 1600), filename="DSC_0002.jpg")
    photos = [photo, second]

    menu = _menu(client.get(gallery.get_absolute_url()).text)

    assert list(menu) == ["original", "large", "web"]
    for size, (url, words) in menu.items():
        total = sum(len(_stored(p, size)) + 150 for p in photos)
        assert url == f"/g/{gallery.slug}/download/?size={size}"
        assert words.startswith(str(download_sizes.LABELS[size]))
        assert f"about {_megabytes(total)} MB" in words, (size, words, total)
    assert re.search(r"about 3\.\d MB", menu["original"][1])  # 2400 x 1600 of noise, in a tenth of a MB
    assert "1600 px long side" in menu["large"][1] and "1024 px long side" in menu["web"][1]
    assert "as taken" in menu["original"][1]


@pytest.mark.parametrize(
    ("policy", "sizes"),
    [
        (Gallery.Downloads.ORIGINALS, ["original", "large", "web"]),
        (Gallery.Downloads.DISPLAY, ["large", "web"]),
        (Gallery.Downloads.NONE, []),
    ],
)
def test_each_menu_offers_only_the_sizes_the_policy_allows(client, owner, gallery, photo, policy, sizes):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=policy)
    heart(client, photo)
    pages = {
        "gallery": gallery.get_absolute_url(),
        "favourites": f"/g/{gallery.slug}/favourites/",
        "find me": f"/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=[photo])}",
        "photo": f"/g/{gallery.slug}/p/{photo.key}/",
    }
    owner_client = _client("owner", owner)
    for name, url in pages.items():
        html = client.get(url).text
        if sizes:
            assert list(_menu(html)) == sizes, name
        else:
            assert '<details class="download-menu">' not in html, name
        if name != "favourites":  # the owner's favourites are of their own device
            assert list(_menu(owner_client.get(url).text)) == ["original", "large", "web"], name


def test_a_single_photo_menu_links_to_its_files_with_their_sizes(client, gallery, photo):
    menu = _menu(client.get(f"/g/{gallery.slug}/p/{photo.key}/").text)

    for size, kind in (("original", "original"), ("large", "display"), ("web", "middle")):
        url, words = menu[size]
        assert url == photo_view_url(photo, kind, download=True)
        assert f"about {_megabytes(len(_stored(photo, size)))} MB" in words
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == _stored(photo, size)


def test_a_blurred_photo_offers_a_guest_no_original_and_counts_its_display_image(client, gallery, photo):
    Photo.objects.filter(pk=photo.pk).update(faces_blurred=True)

    single = _menu(client.get(f"/g/{gallery.slug}/p/{photo.key}/").text)
    whole = _menu(client.get(gallery.get_absolute_url()).text)

    assert list(single) == ["large", "web"]
    # Download all still offers the original size: the other photos' originals, this one's display image.
    assert f"about {_megabytes(len(_stored(photo, 'large')) + 150)} MB" in whole["original"][1]


def test_the_find_me_menus_count_the_photos_of_each_download(client, gallery, photo):
    maybe = upload_photo(gallery, content=unique_jpeg(width=1800, height=1200), filename="DSC_0002.jpg")
    html = client.get(f"/g/{gallery.slug}/find-me/results/?r={results_token(gallery, you=[photo], maybe=[maybe])}").text

    you, with_maybe = html.split('<details class="download-menu">')[1:3]

    assert "(1 photo)" in you and "(2 photos)" in with_maybe
    assert f"about {_megabytes(len(_stored(photo, 'web')) + 150)} MB" in you
    assert f"about {_megabytes(len(_stored(photo, 'web')) + len(_stored(maybe, 'web')) + 300)} MB" in with_maybe
