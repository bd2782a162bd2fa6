"""POST /api/gallery/<id>/find-me while the gallery is still being indexed: the answer
says how many photos were searched, of all guests see, and a search made once the rest
is indexed finds the others."""

import pytest

from faces.services.indexing import photo_faces_index
from faces.tests.find_me import each_photo_indexed_once, jpeg, selfie_file
from faces.tests.partial import half_indexed_gallery, selfie_of_the_middle_person


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _search(client, gallery):
    data = {"consent": "true", "selfie": selfie_file(content=jpeg(selfie_of_the_middle_person()))}
    return client.post(f"/api/gallery/{gallery.pk}/find-me", data)


def _keys(answer) -> set[str]:
    return {match["photo"]["id"] for match in [*answer["you"], *answer["maybe_you"]]}


def test_it_answers_with_the_photos_searched_of_all_and_finds_the_rest_once_indexed(
    client, db, django_capture_on_commit_callbacks
):
    gallery, photos = half_indexed_gallery(django_capture_on_commit_callbacks)

    first = _search(client, gallery)

    assert first.status_code == 200, first.content
    answer = first.json()
    assert (answer["photos_searched"], answer["photos_total"]) == (2, 3)
    assert _keys(answer) == {str(photos["group"].key)}

    photo_faces_index(photo_id=photos["alone"].pk)
    second = _search(client, gallery).json()

    assert (second["photos_searched"], second["photos_total"]) == (3, 3)
    assert _keys(second) == {str(photos["group"].key), str(photos["alone"].key)}


def test_the_schema_names_the_fields(client, db):
    schema = client.get("/api/openapi.json").json()
    properties = schema["components"]["schemas"]["FindMeOut"]["properties"]
    assert {"photos_searched", "photos_total"} <= set(properties)
