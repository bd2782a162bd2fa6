"""GET/POST /api/gallery/, GET/DELETE /api/gallery/<id>."""

import re

import pytest

from api.tests.factories import bearer, make_api_key
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, upload_photo


def _names(response) -> list[str]:
    return sorted(gallery["name"] for gallery in response.json())


def test_it_lists_only_public_published_galleries_without_a_key(client, db):
    make_gallery(name="Public")
    make_gallery(name="Draft", is_published=False)
    make_gallery(name="Unlisted", visibility=Gallery.Visibility.UNLISTED)
    make_gallery(name="Private", visibility=Gallery.Visibility.PRIVATE)

    response = client.get("/api/gallery/")

    assert response.status_code == 200
    assert _names(response) == ["Public"]


def test_a_key_also_lists_its_organizers_own_galleries(client, owner, owner_key):
    make_gallery(name="Public")
    make_gallery(name="My draft", is_published=False, owner=owner)
    make_gallery(name="Someone else's draft", is_published=False, owner=make_user(staff=True))

    response = client.get("/api/gallery/", **bearer(owner_key))

    assert _names(response) == ["My draft", "Public"]


def test_a_superusers_key_lists_every_gallery(client, db):
    make_gallery(name="Public")
    make_gallery(name="Someone's draft", is_published=False, owner=make_user(staff=True))

    response = client.get("/api/gallery/", **bearer(make_api_key(make_user(superuser=True))))

    assert _names(response) == ["Public", "Someone's draft"]


def test_it_creates_a_draft_gallery_of_the_keys_organizer(client, owner, owner_key):
    response = client.post(
        "/api/gallery/", {"name": "Summer party"}, content_type="application/json", **bearer(owner_key)
    )

    assert response.status_code == 201
    body = response.json()
    gallery = Gallery.objects.get(pk=body["id"])
    assert (gallery.name, gallery.owner, gallery.is_published) == ("Summer party", owner, False)
    assert body["slug"] == "summer-party"
    assert body["url"] == "http://testserver/g/summer-party/"


def test_a_gallery_of_the_same_name_gets_a_slug_of_its_own(client, owner_key):
    make_gallery(name="Summer party", slug="summer-party")

    response = client.post(
        "/api/gallery/", {"name": "Summer party"}, content_type="application/json", **bearer(owner_key)
    )

    assert response.status_code == 201
    assert response.json()["slug"].startswith("summer-party-")


def test_it_creates_a_published_private_gallery_with_its_access_code(client, owner_key):
    body = {"name": "Wedding", "visibility": "private", "access_code": " two rings ", "is_published": True}

    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    assert response.status_code == 201
    assert Gallery.objects.get(pk=response.json()["id"]).access_code == "two rings"
    assert "access_code" not in response.json()


def test_an_access_code_under_six_characters_is_refused(client, owner_key):
    body = {"name": "Wedding", "visibility": "private", "access_code": " rings ", "is_published": True}

    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "access_code"
    assert "at least 6 characters" in response.json()["error"]["message"]
    assert not Gallery.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 12}, "name"),
        ({"name": "x", "visibility": "secret"}, "visibility"),
        ({"name": "x", "visibility": "private"}, None),
        ({"name": "x", "slug": "not a slug"}, "slug"),
        ({"name": "x", "event_date": "yesterday"}, "event_date"),
        ({"name": "x", "is_published": "maybe"}, "is_published"),
        # PostgreSQL cannot store NUL characters (schemathesis found it).
        ({"name": "a\x00b"}, "name"),
        ({"name": "x", "description": "\x00"}, "description"),
    ],
)
def test_an_invalid_gallery_is_refused_with_the_field_named(client, owner_key, body, field):
    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error.get("field") == field
    assert not Gallery.objects.exists()


def test_a_private_gallery_without_an_access_code_is_refused_with_the_reason(client, owner_key):
    body = {"name": "x", "visibility": "private"}

    response = client.post("/api/gallery/", body, content_type="application/json", **bearer(owner_key))

    assert "A private gallery needs an access code." in response.json()["error"]["message"]


def test_a_slug_in_use_gets_a_suffix_rather_than_telling_that_another_gallery_is_there(client, owner_key):
    other = make_gallery(slug="taken", name="Someone else's")

    response = client.post(
        "/api/gallery/", {"name": "x", "slug": "taken"}, content_type="application/json", **bearer(owner_key)
    )

    assert response.status_code == 201
    assert re.fullmatch(r"taken-[0-9a-f]{6}", response.json()["slug"])
    assert Gallery.objects.get(pk=other.pk).slug == "taken"


def test_creating_needs_a_key(client, db):
    response = client.post("/api/gallery/", {"name": "x"}, content_type="application/json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert not Gallery.objects.exists()


def test_anyone_reads_a_public_gallery(client, db):
    gallery = make_gallery(name="Public")

    response = client.get(f"/api/gallery/{gallery.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Public"


@pytest.mark.parametrize(
    "fields",
    [
        {"is_published": False},
        {"visibility": Gallery.Visibility.UNLISTED},
        {"visibility": Gallery.Visibility.PRIVATE},
    ],
    ids=["draft", "unlisted", "private"],
)
def test_galleries_not_listed_are_not_found_without_their_organizers_key(client, owner, owner_key, other_key, fields):
    gallery = make_gallery(owner=owner, **fields)
    url = f"/api/gallery/{gallery.pk}"

    assert client.get(url).status_code == 404
    assert client.get(url, **bearer(other_key)).status_code == 404
    assert client.get(f"{url}/photos", **bearer(other_key)).status_code == 404
    assert client.delete(url, **bearer(other_key)).status_code == 404
    assert client.get(url, **bearer(owner_key)).status_code == 200


def test_an_unknown_gallery_is_not_found(client, db):
    response = client.get("/api/gallery/999999")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No gallery has this id."}}


def test_it_deletes_a_gallery_with_its_photos_and_files(
    client, owner, owner_key, any_storage, django_capture_on_commit_callbacks
):
    gallery = make_gallery(owner=owner)
    upload_photo(gallery)
    assert any_storage()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/gallery/{gallery.pk}", **bearer(owner_key))

    assert response.status_code == 204
    assert response.content == b""
    assert not Gallery.objects.exists()
    assert not Photo.objects.exists()
    assert any_storage() == []


def test_another_organizers_public_gallery_cannot_be_deleted(client, owner, other_key):
    gallery = make_gallery(owner=owner)

    response = client.delete(f"/api/gallery/{gallery.pk}", **bearer(other_key))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Gallery.objects.filter(pk=gallery.pk).exists()


def test_deleting_needs_a_key(client, db):
    gallery = make_gallery()

    assert client.delete(f"/api/gallery/{gallery.pk}").status_code == 401
    assert Gallery.objects.filter(pk=gallery.pk).exists()


def test_the_gallery_list_costs_one_query_however_many_galleries(client, db, django_assert_num_queries):
    for _ in range(5):
        make_gallery()

    with django_assert_num_queries(1):
        response = client.get("/api/gallery/")

    assert len(response.json()) == 5
