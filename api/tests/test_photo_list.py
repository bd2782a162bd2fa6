"""GET /api/gallery/<id>/photos: pages of photos with their derivatives' addresses."""

from api.tests.factories import bearer
from galleries.files import photo_view_url as file_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import bulk_ready_photos, make_gallery, upload_photo


def test_it_pages_the_photos_in_display_order_with_links(client, db):
    gallery = make_gallery()
    photos = bulk_ready_photos(gallery, 5)

    first = client.get(f"/api/gallery/{gallery.pk}/photos?page_size=2").json()
    last = client.get(f"/api/gallery/{gallery.pk}/photos?page=3&page_size=2").json()

    assert (first["count"], first["pages"], first["page"], first["page_size"]) == (5, 3, 1, 2)
    assert [photo["id"] for photo in first["results"]] == [str(photos[0].key), str(photos[1].key)]
    assert first["previous"] is None
    assert first["next"] == f"http://testserver/api/gallery/{gallery.pk}/photos?page=2&page_size=2"
    assert [photo["id"] for photo in last["results"]] == [str(photos[4].key)]
    assert last["next"] is None
    assert last["previous"].endswith("page=2&page_size=2")


def test_the_page_size_is_capped(client, db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 120)

    body = client.get(f"/api/gallery/{gallery.pk}/photos?page_size=1000").json()

    assert (body["page_size"], len(body["results"]), body["pages"]) == (100, 100, 2)


def test_a_page_past_the_end_is_empty(client, db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)

    body = client.get(f"/api/gallery/{gallery.pk}/photos?page=9").json()

    assert (body["count"], body["results"]) == (3, [])


def test_a_bad_page_number_is_refused_with_the_field_named(client, db):
    gallery = make_gallery()

    for query in ("page=0", "page=two", "page_size=0"):
        response = client.get(f"/api/gallery/{gallery.pk}/photos?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"]["field"] == query.split("=")[0]


def test_a_public_gallerys_photos_link_the_access_checked_files(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery)

    [item] = client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"]

    assert item["urls"] == {
        "thumbnail": f"http://testserver{file_url(photo, 'thumb')}",
        "middle": f"http://testserver{file_url(photo, 'middle')}",
        "display": f"http://testserver{file_url(photo, 'display')}",
        "original": f"http://testserver{file_url(photo, 'original')}",
    }
    assert (item["width"], item["height"], item["status"]) == (photo.width, photo.height, "ready")
    assert client.get(item["urls"]["thumbnail"]).status_code == 200


def test_a_private_gallerys_photos_have_signed_addresses_for_its_organizer_only(client, owner, owner_key):
    gallery = make_gallery(owner=owner, visibility=Gallery.Visibility.PRIVATE)
    photo = upload_photo(gallery)

    [item] = client.get(f"/api/gallery/{gallery.pk}/photos", **bearer(owner_key)).json()["results"]

    assert all(url.startswith("http://testserver/api/files/") for url in item["urls"].values())
    assert client.get(item["urls"]["display"]).status_code == 200
    assert client.get(f"/photos/{photo.key}/display").status_code == 404


def test_the_organizer_sees_photos_still_processing_and_guests_do_not(client, owner, owner_key):
    gallery = make_gallery(owner=owner)
    upload_photo(gallery)
    waiting = upload_photo(gallery, process=False)

    mine = client.get(f"/api/gallery/{gallery.pk}/photos", **bearer(owner_key)).json()["results"]
    theirs = client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"]

    assert {item["status"] for item in mine} == {"ready", "pending"}
    [pending] = [item for item in mine if item["id"] == str(waiting.key)]
    assert pending["urls"]["thumbnail"] is None
    assert [item["status"] for item in theirs] == ["ready"]
    assert Photo.objects.count() == 2


def test_a_page_costs_the_same_queries_however_many_photos(client, db, django_assert_max_num_queries):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 60)

    with django_assert_max_num_queries(3):
        response = client.get(f"/api/gallery/{gallery.pk}/photos?page_size=60")

    assert len(response.json()["results"]) == 60
