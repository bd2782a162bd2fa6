"""POST /g/<slug>/find-me/results/not-me/: "that's not me" on a photo of Find me's
results. The same results without it, for the rest of this search, and nothing stored:
the token is signed again without the photo, and the browser is sent to the new link.
Who may do it in each gallery: the route matrix (eventgallery/tests/expectations_site.py)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from faces.services.results_token import (
    FindMeResultsExpired,
    FindMeResultsPhotoUnknown,
    find_me_results_read,
    find_me_results_without,
)
from faces.tests.find_me import face_search_gallery, results_token
from galleries.tests.factories import unique_jpeg, upload_photo


def not_me_url(gallery) -> str:
    return f"/g/{gallery.slug}/find-me/results/not-me/"


def _token_of(location: str) -> str:
    [token] = parse_qs(urlsplit(location).query)["r"]
    return token


def _keys_shown(html: str) -> list[str]:
    return re.findall(r'<li class="match" data-photo="([0-9a-f-]+)"', html)


@pytest.fixture
def gallery(db):
    return face_search_gallery(slug="summer-party")


@pytest.fixture
def photos(gallery):
    return [upload_photo(gallery, content=unique_jpeg(), filename=f"IMG_{n}.jpg") for n in range(4)]


def test_it_signs_the_results_again_without_the_photo_and_keeps_the_rest_as_it_was(gallery, photos):
    token = results_token(gallery, you=photos[:2], maybe=photos[2:3])
    before = find_me_results_read(gallery=gallery, token=token)

    narrowed = find_me_results_without(gallery=gallery, token=token, photo_key=str(photos[1].key))

    after = find_me_results_read(gallery=gallery, token=narrowed)
    kept = [f for f in before.found if f.photo.pk != photos[1].pk]
    assert [(f.photo.pk, f.is_sure, f.similarity, f.face_box, f.face_id) for f in after.found] == [
        (f.photo.pk, f.is_sure, f.similarity, f.face_box, f.face_id) for f in kept
    ]
    # The faces stay named, so that "Hide photos of me" can still blur them.
    assert all(f.face_id for f in after.found)
    assert after.faces_in_selfie == before.faces_in_selfie
    # The first token still holds the photo: nothing was stored, only a new link made.
    assert photos[1].pk in [f.photo.pk for f in find_me_results_read(gallery=gallery, token=token).found]


def test_narrowed_results_expire_when_the_search_did(gallery, photos, settings, monkeypatch):
    settings.FIND_ME_RESULTS_MAX_AGE_S = 60
    token = results_token(gallery, you=photos[:2])
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 50))
    narrowed = find_me_results_without(gallery=gallery, token=token, photo_key=str(photos[0].key))
    assert find_me_results_read(gallery=gallery, token=narrowed).found

    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 61))

    with pytest.raises(FindMeResultsExpired):
        find_me_results_read(gallery=gallery, token=narrowed)


def test_a_photo_not_in_the_results_is_refused(gallery, photos):
    token = results_token(gallery, you=photos[:1])

    for key in (str(photos[3].key), "not-a-key", ""):
        with pytest.raises(FindMeResultsPhotoUnknown):
            find_me_results_without(gallery=gallery, token=token, photo_key=key)


def test_without_javascript_it_redirects_to_the_results_without_the_photo(client, gallery, photos):
    token = results_token(gallery, you=photos[:2], maybe=photos[2:3])

    response = client.post(not_me_url(gallery), {"r": token, "photo": str(photos[0].key)})

    assert response.status_code == 303
    assert urlsplit(response["Location"]).path == f"/g/{gallery.slug}/find-me/results/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert _keys_shown(page.text) == [str(photos[1].key), str(photos[2].key)]
    assert "You <span" in page.text and "Maybe you <span" in page.text
    # Then the maybe: the "Maybe you" section goes with it.
    again = client.post(not_me_url(gallery), {"r": _token_of(response["Location"]), "photo": str(photos[2].key)})
    page = client.get(again["Location"])
    assert _keys_shown(page.text) == [str(photos[1].key)]
    assert "Maybe you <span" not in page.text


def test_the_download_of_the_narrowed_results_leaves_the_photo_out(client, gallery, photos):
    token = results_token(gallery, you=photos[:2], maybe=photos[2:3])
    response = client.post(not_me_url(gallery), {"r": token, "photo": str(photos[1].key)})
    narrowed = _token_of(response["Location"])

    for query in (f"?r={narrowed}", f"?r={narrowed}&maybe=1"):
        download = client.get(f"/g/{gallery.slug}/find-me/results/download/{query}")
        assert download.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
        assert "IMG_1.jpg" not in names
        assert "IMG_0.jpg" in names
    page = client.get(response["Location"])
    assert "(1 photo)" in page.text and "(2 photos)" in page.text  # the download buttons' counts


def test_every_tile_has_a_not_me_button_for_the_one_form_of_the_page(client, gallery, photos):
    token = results_token(gallery, you=photos[:1], maybe=photos[1:3])

    page = client.get(f"/g/{gallery.slug}/find-me/results/?r={token}")

    assert page.text.count('<form id="not-me"') == 1
    assert f'name="r" value="{token}"' in page.text
    buttons = re.findall(r'<button class="not-me" type="submit" form="not-me" name="photo" value="([^"]+)"', page.text)
    assert buttons == [str(p.key) for p in photos[:3]]
    assert "less closely than the photos above" in page.text


def test_a_photo_not_in_the_results_leaves_them_as_they_were_and_says_why(client, gallery, photos):
    token = results_token(gallery, you=photos[:2])

    for key in (str(photos[3].key), "not-a-key"):
        response = client.post(not_me_url(gallery), {"r": token, "photo": key}, follow=True)
        assert response.redirect_chain[0][1] == 303
        assert _token_of(response.redirect_chain[0][0]) == token
        assert "That photo is not among these results." in response.text
        assert _keys_shown(response.text) == [str(p.key) for p in photos[:2]]


@pytest.mark.parametrize("what", ["forged token", "token changed", "no token", "no photo"])
def test_a_forged_or_incomplete_request_is_told_the_results_cannot_be_used(client, gallery, photos, what):
    token, key = results_token(gallery, you=photos[:2]), str(photos[0].key)
    data = {
        "forged token": {"r": "forged", "photo": key},
        "token changed": {"r": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), "photo": key},
        "no token": {"photo": key},
        "no photo": {"r": token},
    }[what]

    response = client.post(not_me_url(gallery), data)

    assert response.status_code == 400
    assert "Take a selfie to search again." in response.text


def test_a_token_of_another_gallery_is_refused(client, gallery, photos):
    other = face_search_gallery(slug="other-party")
    other_photo = upload_photo(other, content=unique_jpeg())
    token = results_token(other, you=[other_photo])

    response = client.post(not_me_url(gallery), {"r": token, "photo": str(other_photo.key)})

    assert response.status_code == 400


def test_expired_results_say_so(client, gallery, photos, settings, monkeypatch):
    settings.FIND_ME_RESULTS_MAX_AGE_S = 1
    token = results_token(gallery, you=photos[:2])
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 2))

    response = client.post(not_me_url(gallery), {"r": token, "photo": str(photos[0].key)})

    assert response.status_code == 410
