"""The Find me results page: the search redirects (303) to it, its link carries the
results, signed and expiring, and every visit checks the gallery's access again."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client

from faces.models import Face
from faces.services.results_token import FIND_ME_RESULTS_SALT, find_me_results_read, find_me_results_token
from faces.services.search import PhotoMatch, SearchResult
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES, selfie_of
from faces.tests.find_me import add_photos, each_photo_indexed_once, face_search_gallery, find_me_url, selfie_file
from galleries.models import Gallery, Photo
from galleries.services.photos import photo_delete
from galleries.tests.factories import bulk_ready_photos, make_user, upload_photo

CENTRE = GROUP_PHOTO_FACE_CENTRES[2]
INVITATION = "Take a selfie to search again."


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def results_url(gallery, token: str) -> str:
    return f"/g/{gallery.slug}/find-me/results/?r={token}"


def _token(gallery, photos: list[Photo], *, sure: bool = True, faces_in_selfie: int = 1) -> str:
    """A token as a search that found these photos (strongest first) makes it."""
    matches = [
        PhotoMatch(
            photo=photo,
            face=Face(box_left=0.25, box_top=0.125, box_width=0.2, box_height=0.3),
            similarity=99.0 - number,
            is_sure=sure,
        )
        for number, photo in enumerate(photos)
    ]
    result = SearchResult(matches=matches, faces_in_selfie=faces_in_selfie, describe_ms=0, search_ms=0)
    return find_me_results_token(gallery=gallery, result=result)


def _keys_shown(html: str) -> list[str]:
    return re.findall(r'<li class="match" data-photo="([0-9a-f-]+)"', html)


def test_a_search_redirects_to_its_results_page_which_shows_the_photos_with_the_face_marked(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery = face_search_gallery()
    [group] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    selfie = selfie_of(face_images.group_photo(), CENTRE, face_px=110)

    response = consenting_client.post(find_me_url(gallery), {"selfie": selfie_file(selfie)})

    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert location.path == f"/g/{gallery.slug}/find-me/results/"
    [token] = parse_qs(location.query)["r"]
    page = consenting_client.get(response["Location"])
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")  # never_cache: each visit checks access again
    assert _keys_shown(page.text) == [str(group.key)]
    assert "You <span" in page.text
    assert [found.photo.pk for found in find_me_results_read(gallery=gallery, token=token).found] == [group.pk]
    box = page.context["you"][0]["face_box"]
    x, y = 100 * CENTRE[0] / group.width, 100 * CENTRE[1] / group.height
    assert box["left"] <= x < box["left"] + box["width"]
    assert box["top"] <= y < box["top"] + box["height"]


def test_reloading_the_results_shows_them_again_without_searching(consenting_client, db, monkeypatch):
    gallery = face_search_gallery()
    photos = [upload_photo(gallery, filename=f"IMG_{n}.jpg") for n in range(3)]
    url = results_url(gallery, _token(gallery, photos))
    monkeypatch.setattr("faces.services.find_me.face_search", lambda **kwargs: pytest.fail("searched again"))

    first, again = consenting_client.get(url), consenting_client.get(url)

    assert first.status_code == again.status_code == 200
    assert _keys_shown(first.text) == _keys_shown(again.text) == [str(p.key) for p in photos]


def test_the_results_keep_their_order_and_their_tiers(client, db):
    gallery = face_search_gallery()
    photos = [upload_photo(gallery, filename=f"IMG_{n}.jpg") for n in range(4)]
    # Strongest first, whatever the photos' order in the gallery.
    you = [photos[2], photos[0]]
    maybe = [photos[3], photos[1]]
    matches = [
        PhotoMatch(photo=p, face=Face(box_left=0.1, box_top=0.1, box_width=0.1, box_height=0.1), **m)
        for p, m in zip(
            you + maybe,
            [
                {"similarity": 97.4, "is_sure": True},
                {"similarity": 91.0, "is_sure": True},
                {"similarity": 88.8, "is_sure": False},
                {"similarity": 71.2, "is_sure": False},
            ],
            strict=True,
        )
    ]
    result = SearchResult(matches=matches, faces_in_selfie=2, describe_ms=0, search_ms=0)

    page = client.get(results_url(gallery, find_me_results_token(gallery=gallery, result=result)))

    assert [t["photo"].pk for t in page.context["you"]] == [p.pk for p in you]
    assert [t["photo"].pk for t in page.context["maybe_you"]] == [p.pk for p in maybe]
    assert [t["similarity"] for t in page.context["you"] + page.context["maybe_you"]] == [97.4, 91.0, 88.8, 71.2]
    assert page.context["you"][0]["face_box"] == {"left": 10.0, "top": 10.0, "width": 10.0, "height": 10.0}
    assert "Your selfie shows 2 faces." in page.text


def test_no_photo_found_says_so_on_the_results_page(client, db):
    gallery = face_search_gallery()

    page = client.get(results_url(gallery, _token(gallery, [])))

    assert page.status_code == 200
    assert "We did not find you in the photos of" in page.text


def test_the_results_expire_after_their_max_age(client, db, settings, monkeypatch):
    settings.FIND_ME_RESULTS_MAX_AGE_S = 1
    gallery = face_search_gallery()
    url = results_url(gallery, _token(gallery, [upload_photo(gallery)]))
    assert client.get(url).status_code == 200
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 2))

    page = client.get(url)

    assert page.status_code == 410
    assert "These results have expired" in page.text
    assert "The link to your results works for 1 second, and this one is older." in page.text
    assert 'type="file" name="selfie"' in page.text
    assert f'action="{find_me_url(gallery)}"' in page.text


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda token: "", id="no token"),
        pytest.param(lambda token: "not-a-token", id="garbage"),
        pytest.param(lambda token: token[:-3] + ("abc" if token[-3:] != "abc" else "xyz"), id="tampered signature"),
        pytest.param(
            lambda token: signing.dumps({"g": 1, "f": 1, "p": []}, salt="another.salt", compress=True), id="other salt"
        ),
        pytest.param(
            lambda token: signing.dumps({"g": 1}, salt=FIND_ME_RESULTS_SALT, compress=True),
            id="signed but of another shape",
        ),
    ],
)
def test_a_forged_or_changed_link_invites_a_new_search(client, db, spoil):
    gallery = face_search_gallery()
    token = _token(gallery, [upload_photo(gallery)])

    page = client.get(results_url(gallery, spoil(token)))

    assert page.status_code == 400
    assert "These results cannot be shown" in page.text
    assert INVITATION in page.text
    assert 'type="file" name="selfie"' in page.text


def test_a_signed_payload_changed_is_refused(client, db):
    gallery = face_search_gallery()
    [photo] = [upload_photo(gallery)]
    token = _token(gallery, [photo])
    payload, rest = token.split(":", 1)
    other = signing.dumps({"g": gallery.pk, "f": 1, "p": [[photo.pk, 1, 990, 1, 1, 1, 1]]}, compress=True)

    page = client.get(results_url(gallery, other.split(":", 1)[0] + ":" + rest))

    assert page.status_code == 400


def test_another_gallerys_results_are_not_shown_in_this_one(client, db):
    first, second = face_search_gallery(), face_search_gallery()
    token = _token(first, [upload_photo(first)])

    page = client.get(results_url(second, token))

    assert page.status_code == 400
    assert "is not for" in page.text
    assert page.context.get("you") is None


def test_photos_deleted_or_no_longer_ready_since_are_dropped(client, db):
    gallery = face_search_gallery()
    kept, deleted, failed = (upload_photo(gallery, filename=f"IMG_{n}.jpg") for n in range(3))
    url = results_url(gallery, _token(gallery, [kept, deleted, failed]))
    photo_delete(photo=deleted)
    Photo.objects.filter(pk=failed.pk).update(status=Photo.Status.FAILED)

    page = client.get(url)

    assert page.status_code == 200
    assert _keys_shown(page.text) == [str(kept.key)]


def test_a_link_to_results_shows_nothing_to_whoever_has_not_given_a_private_gallerys_code(db):
    gallery = face_search_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    photo = upload_photo(gallery)
    url = results_url(gallery, _token(gallery, [photo]))
    guest = Client()
    guest.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})
    stranger = Client()

    shown, refused = guest.get(url), stranger.get(url)

    assert shown.status_code == 200
    assert str(photo.key) in shown.text
    assert refused.status_code == 302
    assert refused["Location"] == f"/g/{gallery.slug}/access/"


def test_a_link_to_results_in_a_draft_is_for_its_organizer_only(client, db):
    owner = make_user(staff=True)
    gallery = face_search_gallery(is_published=False, owner=owner)
    photo = upload_photo(gallery)
    url = results_url(gallery, _token(gallery, [photo]))

    assert client.get(url).status_code == 404
    client.force_login(make_user(staff=True))
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200


def test_results_of_a_gallery_whose_find_me_was_switched_off_are_not_shown(client, db):
    gallery = face_search_gallery()
    url = results_url(gallery, _token(gallery, [upload_photo(gallery)]))
    gallery.face_search_enabled = False
    gallery.save()

    page = client.get(url)

    assert page.status_code == 404
    assert "Find me is not available here" in page.text


def test_the_results_page_is_get_only(client, db):
    gallery = face_search_gallery()

    assert client.post(results_url(gallery, _token(gallery, []))).status_code == 405


def test_the_results_page_keeps_nothing_in_the_session(client, db):
    gallery = face_search_gallery()

    client.get(results_url(gallery, _token(gallery, [upload_photo(gallery)])))

    assert dict(client.session) == {}


def test_the_consent_says_the_selfie_is_not_kept_and_how_long_the_results_link_works(client, db, settings):
    gallery = face_search_gallery()

    page = client.get(find_me_url(gallery)).text
    settings.FIND_ME_RESULTS_MAX_AGE_S = 2 * 3600
    later = client.get(find_me_url(gallery)).text

    assert "It is <strong>never stored</strong>" in page
    assert "The link to your results works for 1 hour. It holds which photos you are in, not your selfie" in page
    assert "The link to your results works for 2 hours." in later


def test_the_link_of_forty_photos_stays_short(db):
    gallery = face_search_gallery()
    photos = bulk_ready_photos(gallery, 40)

    token = _token(gallery, photos)

    # Far under the 4 KB a request line may take (gunicorn's limit_request_line).
    assert len(results_url(gallery, token)) < 1000
