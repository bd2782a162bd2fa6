"""Find me while the gallery is still being indexed: the search finds what is indexed,
says how many photos it looked in, and a search made once the rest is indexed finds
the others (real faces, the real local engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from faces.models import PhotoFaces
from faces.selectors import find_me_coverage
from faces.services.indexing import photo_faces_index
from faces.services.results_token import find_me_results_token
from faces.services.search import SearchResult
from faces.tests.find_me import each_photo_indexed_once, face_search_gallery, find_me_url, results_token, selfie_file
from faces.tests.partial import half_indexed_gallery, selfie_of_the_middle_person
from galleries.tests.factories import bulk_ready_photos

SO_FAR = "2 of 3 photos searched so far."
WAITING = "The others are still being prepared for Find me."
READY = "More photos are ready to search now."
AGAIN_LATER = "Search again in a few minutes: choose your selfie again below."
AGAIN_NOW = "Choose your selfie again below to search them."


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _search(client, gallery):
    return client.post(find_me_url(gallery), {"selfie": selfie_file(selfie_of_the_middle_person())}, follow=True)


def _shown(html: str, text: str) -> bool:
    """The text is on the page and not in an element the page hides."""
    before, found, _ = html.partition(text)
    return bool(found) and not before.rstrip().endswith(" hidden>")


def _keys(response) -> set[str]:
    return {str(tile["photo"].key) for tile in [*response.context["you"], *response.context["maybe_you"]]}


def test_it_finds_the_indexed_photos_and_says_how_many_were_searched(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)

    response = _search(consenting_client, gallery)

    assert response.status_code == 200
    assert _keys(response) == {str(photos["group"].key)}
    assert _shown(response.text, SO_FAR)
    assert _shown(response.text, WAITING)
    assert not _shown(response.text, READY)
    # Without JavaScript: choose the selfie again, in the form below.
    assert _shown(response.text, AGAIN_LATER)
    assert 'name="selfie"' in response.text.split("find-me-again", 1)[1]
    # With it, the form keeps the selfie in the browser's memory to search again with.
    assert "data-keep-selfie" in response.text


def test_once_the_rest_is_indexed_the_page_says_so_and_a_new_search_finds_them(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)
    first = _search(consenting_client, gallery)
    results_url = first.redirect_chain[-1][0]

    photo_faces_index(photo_id=photos["alone"].pk)  # as the worker does it

    again = consenting_client.get(results_url)
    # The same results (the link holds them), now told that more is ready.
    assert _keys(again) == {str(photos["group"].key)}
    assert _shown(again.text, SO_FAR)
    assert _shown(again.text, READY)
    assert _shown(again.text, AGAIN_NOW)
    assert not _shown(again.text, WAITING)

    second = _search(consenting_client, gallery)
    assert _keys(second) == {str(photos["group"].key), str(photos["alone"].key)}
    # Everything searched: nothing more is said, and the form is sent as always.
    assert "searched so far" not in second.text
    assert "data-find-me-progress" not in second.text
    assert "data-keep-selfie" not in second.text


def test_a_photo_whose_indexing_failed_counts_as_searched(consenting_client, django_capture_on_commit_callbacks):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)
    # The worker gave up on it (faces/services/indexing.py, after TASK_MAX_ATTEMPTS).
    PhotoFaces.objects.filter(photo=photos["alone"]).update(status=PhotoFaces.Status.FAILED, error="gave up")

    response = _search(consenting_client, gallery)

    assert _keys(response) == {str(photos["group"].key)}
    assert "searched so far" not in response.text


def test_the_find_me_form_keeps_the_selfie_only_while_indexing_is_not_done(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)
    assert "data-keep-selfie" in consenting_client.get(find_me_url(gallery)).text

    photo_faces_index(photo_id=photos["alone"].pk)

    assert "data-keep-selfie" not in consenting_client.get(find_me_url(gallery)).text


def _media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def test_nothing_of_the_selfie_is_stored(consenting_client, django_capture_on_commit_callbacks):
    gallery, _ = half_indexed_gallery(django_capture_on_commit_callbacks)
    before = _media_files()

    _search(consenting_client, gallery)

    assert _media_files() == before
    assert "selfie" not in str(dict(consenting_client.session))


def test_results_made_before_the_count_was_kept_show_nothing_of_it(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)
    token = results_token(gallery, you=[photos["group"]])

    response = consenting_client.get(f"/g/{gallery.slug}/find-me/results/", {"r": token})

    assert response.status_code == 200
    assert "searched so far" not in response.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "120 of 1,200 photos searched so far."),
        ("de", "120 von 1.200 Fotos bisher durchsucht."),
        # Django's formats: a no-break space in French, no separator in Traditional Chinese.
        ("fr", "120 sur 1\xa0200 photos examinées pour l’instant."),
        ("zh-hant", "目前已搜尋 1200 張照片中的 120 張。"),
    ],
)
def test_the_count_is_said_in_the_guests_language_with_its_numbers(consenting_client, language, said):
    gallery = face_search_gallery()
    photos = bulk_ready_photos(gallery, 1200)
    PhotoFaces.objects.bulk_create(
        [PhotoFaces(photo=photo, gallery=gallery, status=PhotoFaces.Status.INDEXED) for photo in photos[:120]]
    )
    result = SearchResult(
        matches=[], faces_in_selfie=1, describe_ms=0, search_ms=0, coverage=find_me_coverage(gallery=gallery)
    )
    token = find_me_results_token(gallery=gallery, result=result)

    response = consenting_client.get(
        f"/g/{gallery.slug}/find-me/results/", {"r": token}, headers={"Accept-Language": language}
    )

    assert _shown(response.text, said)


def test_one_photo_in_all_is_said_in_the_singular(consenting_client):
    gallery = face_search_gallery()
    bulk_ready_photos(gallery, 1)
    result = SearchResult(
        matches=[], faces_in_selfie=1, describe_ms=0, search_ms=0, coverage=find_me_coverage(gallery=gallery)
    )
    token = find_me_results_token(gallery=gallery, result=result)

    response = consenting_client.get(f"/g/{gallery.slug}/find-me/results/", {"r": token})

    assert _shown(response.text, "0 of 1 photo searched so far.")
