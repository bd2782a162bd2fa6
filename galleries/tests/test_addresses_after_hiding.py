"""No address a page or the API ever gave for a photo serves it to a guest once the
photo is hidden on a guest's request or its gallery has closed: the photo page, its
files with and without their version and download flag, the API's addresses and its
/api/files tokens (re-checked at every fetch), and on S3 signed URLs of minutes that
no cached page or redirect outlives."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from api import files as api_files
from api.models import ApiKey
from api.tests.factories import bearer, make_api_key
from faces.models import HideRequest, HideRequestPhoto
from faces.privacy import hide_request_apply
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo

pytestmark = pytest.mark.django_db

ADDRESS = re.compile(r"""(?:https?://testserver)?/(?:photos|api/files)/[^"'\s<>,]+""")


def _addresses_given(client, gallery, photo) -> set[str]:
    """Every address of the photo's files that the guest pages and the API give a guest,
    and the plain forms of the file view's (without ?v=, with the download flag)."""
    pages = [
        client.get(gallery.get_absolute_url()).text,
        client.get(gallery.get_absolute_url() + "?fragment=1").text,
        client.get(f"/g/{gallery.slug}/p/{photo.key}/").text,
    ]
    found = {html.unescape(address) for page in pages for address in ADDRESS.findall(page)}
    [item] = [item for item in client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"]]
    found |= {url for url in item["urls"].values() if url}
    found = {address for address in found if str(photo.key) in address or "/api/files/" in address}
    for kind in ("thumb", "middle", "display", "original"):
        found |= {f"/photos/{photo.key}/{kind}", f"/photos/{photo.key}/{kind}?download=1"}
    return found


def _tokens(photo, *api_keys) -> set[str]:
    """/api/files addresses of each kind of the photo, as given to a caller without a key
    and to each key (another organizer's)."""
    return {
        f"/api/files/{api_files.photo_file_token(photo, kind, api_key=api_key)}"
        for kind in ("thumb", "middle", "display", "original")
        for api_key in (None, *api_keys)
    }


def _served(client, address: str) -> list[str]:
    response = client.get(address)
    return [address] if response.status_code == 200 else []


def _other_organizers_key():
    user = make_user(staff=True)
    make_api_key(user)
    return ApiKey.objects.get(user=user)


def _hide(gallery, photo):
    request = HideRequest.objects.create(
        gallery=gallery, action=Gallery.HideAction.HIDE, status=HideRequest.Status.PENDING, contact=""
    )
    HideRequestPhoto.objects.create(hide_request=request, photo=photo)
    hide_request_apply(hide_request=request)


def _close(gallery, photo):
    gallery.closes_at = timezone.now() - timedelta(minutes=1)
    gallery.save(update_fields=["closes_at"])


@pytest.mark.parametrize("change", [_hide, _close], ids=["hidden on request", "gallery closed"])
def test_no_address_ever_given_serves_the_photo_to_a_guest_afterwards(change):
    owner = make_user(staff=True)
    gallery = make_gallery(owner=owner, downloads=Gallery.Downloads.ORIGINALS, face_search_enabled=True)
    photo = upload_photo(gallery)
    other_key = _other_organizers_key()
    guest = Client()
    addresses = _addresses_given(guest, gallery, photo) | _tokens(photo, other_key)
    assert len(addresses) > 20
    assert [a for a in addresses if not _served(guest, a)] == []
    assert guest.get(f"/g/{gallery.slug}/p/{photo.key}/").status_code == 200

    change(gallery, photo)

    assert sum((_served(guest, address) for address in sorted(addresses)), []) == []
    assert guest.get(f"/g/{gallery.slug}/p/{photo.key}/").status_code in (404, 410)
    # Its organizer still has it.
    owner_client = Client()
    owner_client.force_login(owner)
    assert owner_client.get(f"/photos/{photo.key}/original").status_code == 200


def test_a_token_answers_by_the_policy_at_each_fetch(client):
    gallery = make_gallery(downloads=Gallery.Downloads.ORIGINALS, visibility=Gallery.Visibility.PUBLIC)
    photo = upload_photo(gallery)
    original = f"/api/files/{api_files.photo_file_token(photo, 'original', api_key=None)}"
    display = f"/api/files/{api_files.photo_file_token(photo, 'display', api_key=None)}"
    assert client.get(original).status_code == 200

    gallery.downloads = Gallery.Downloads.DISPLAY
    gallery.save(update_fields=["downloads"])
    refused = client.get(original)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get(display).status_code == 200

    gallery.visibility = Gallery.Visibility.UNLISTED
    gallery.save(update_fields=["visibility"])
    assert client.get(display).status_code == 404

    gallery.visibility = Gallery.Visibility.PUBLIC
    gallery.closes_at = timezone.now()
    gallery.save(update_fields=["visibility", "closes_at"])
    closed = client.get(display)
    assert closed.status_code == 410 and closed.json()["error"]["code"] == "gallery_closed"


def test_a_blurred_photos_original_token_gives_a_guest_the_blurred_display_image(client):
    gallery = make_gallery(downloads=Gallery.Downloads.ORIGINALS)
    photo = upload_photo(gallery)
    original = f"/api/files/{api_files.photo_file_token(photo, 'original', api_key=None)}"
    photo.faces_blurred = True
    photo.save(update_fields=["faces_blurred"])

    response = client.get(original)

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with photo.display.open("rb") as fh:
        assert b"".join(response.streaming_content) == fh.read()


def test_the_owners_token_still_serves_the_owner_after_a_hide_and_a_revoked_key_is_a_guest(client):
    owner = make_user(staff=True)
    gallery = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE)
    photo = upload_photo(gallery)
    key = make_api_key(owner)
    [item] = client.get(f"/api/gallery/{gallery.pk}/photos", **bearer(key)).json()["results"]
    assert item["urls"]["display"].startswith("http://testserver/api/files/")
    _hide(gallery, photo)
    assert client.get(item["urls"]["display"]).status_code == 200

    ApiKey.objects.filter(user=owner).update(revoked_at=timezone.now())

    assert client.get(item["urls"]["display"]).status_code == 404


def test_photo_files_are_kept_out_of_shared_caches(client):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    assert gallery.is_listed

    response = client.get(f"/photos/{photo.key}/display")

    assert response["Cache-Control"] == "private, max-age=3600"
    token = api_files.photo_file_token(photo, "display", api_key=None)
    assert client.get(f"/api/files/{token}")["Cache-Control"] == "private, no-cache"


def test_on_s3_signed_urls_live_minutes_and_no_redirect_or_page_outlives_them(client, settings, s3_storage):
    settings.GALLERY_PAGE_CACHE_SECONDS = 86400
    gallery = make_gallery()
    photo = upload_photo(gallery)

    page = client.get(gallery.get_absolute_url()).text
    redirect = client.get(f"/photos/{photo.key}/display")

    assert "X-Amz-Expires=300&" in page and "X-Amz-Expires=3600" not in page
    assert redirect.status_code == 302 and "X-Amz-Expires=300&" in redirect["Location"]
    assert redirect["Cache-Control"] == "private, no-store"
    [item] = client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"]
    assert all("X-Amz-Expires=300&" in url for url in item["urls"].values() if url)
    _hide(gallery, photo)
    for kind in ("thumb", "middle", "display", "original"):
        assert client.get(f"/photos/{photo.key}/{kind}", {"download": 1}).status_code == 404
    assert str(photo.key) not in client.get(gallery.get_absolute_url()).text
    assert client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"] == []


def _settings_with(env_extra: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings as s\n"
        "print(s.STORAGES['default']['OPTIONS']['querystring_expire'], s.GALLERY_PAGE_CACHE_SECONDS)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventgallery.settings", "DEBUG": "true", **env_extra}
    for name in ("AWS_QUERYSTRING_EXPIRE", "S3_SIGNED_URL_SECONDS", "GALLERY_PAGE_CACHE_SECONDS"):
        if name not in env_extra:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env_extra", "expected"),
    [
        ({}, "300 50"),
        ({"S3_SIGNED_URL_SECONDS": "900", "GALLERY_PAGE_CACHE_SECONDS": "120"}, "900 120"),
        ({"AWS_QUERYSTRING_EXPIRE": "600", "GALLERY_PAGE_CACHE_SECONDS": "86400"}, "600 100"),
    ],
    ids=["defaults", "a shorter page cache kept", "the old name, the page cache clamped"],
)
def test_signed_urls_last_minutes_and_the_page_cache_a_sixth_of_them(env_extra, expected):
    result = _settings_with({"S3_BUCKET": "photos", **env_extra})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected.split()


def test_a_signed_url_lifetime_out_of_range_is_refused_at_start():
    result = _settings_with({"S3_BUCKET": "photos", "S3_SIGNED_URL_SECONDS": "10"})

    assert result.returncode != 0 and "S3_SIGNED_URL_SECONDS must be between 60" in result.stderr
