from django.test import Client

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo


def _private_gallery():
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    photo = upload_photo(gallery)
    return gallery, photo


def test_the_right_code_opens_the_gallery_for_the_session(client, db):
    gallery, photo = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": " sunset-42 "})

    assert response.status_code == 302
    assert response["Location"] == gallery.get_absolute_url()
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text
    assert client.get(f"/photos/{photo.key}/thumb").status_code == 200


def test_a_wrong_code_is_refused_with_a_message(client, db):
    gallery, photo = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": "guess"})

    assert response.status_code == 403
    assert "That access code is not right" in response.text
    assert client.get(gallery.get_absolute_url()).status_code == 302
    assert client.get(f"/photos/{photo.key}/thumb").status_code == 404


def test_an_empty_code_is_refused(client, db):
    gallery, _ = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": ""})

    assert response.status_code == 200
    assert "This field is required" in response.text


def test_changing_the_code_locks_earlier_guests_out(client, db):
    gallery, _ = _private_gallery()
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})

    gallery.access_code = "new-code"
    gallery.save()

    assert client.get(gallery.get_absolute_url()).status_code == 302


def test_guessing_is_slowed_down(client, db):
    gallery, _ = _private_gallery()
    for _ in range(10):
        client.post(f"/g/{gallery.slug}/access/", {"code": "guess"})

    response = client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})

    assert response.status_code == 429
    assert "Too many wrong codes" in response.text


def _guess_ten_times(client, gallery, **headers):
    for _ in range(10):
        client.post(f"/g/{gallery.slug}/access/", {"code": "guess"}, **headers)


def test_behind_a_trusted_proxy_guests_are_told_apart_by_the_address_it_forwards(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    gallery, _ = _private_gallery()
    _guess_ten_times(client, gallery, HTTP_X_FORWARDED_FOR="198.51.100.1")

    blocked = client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    # Another guest through the same proxy; a forged first entry changes nothing.
    other = Client().post(
        f"/g/{gallery.slug}/access/", {"code": "sunset-42"}, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.2"
    )
    forged = Client().post(
        f"/g/{gallery.slug}/access/", {"code": "sunset-42"}, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1"
    )

    assert blocked.status_code == 429
    assert other.status_code == 302
    assert forged.status_code == 429


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    gallery, _ = _private_gallery()
    _guess_ten_times(client, gallery, HTTP_X_FORWARDED_FOR="198.51.100.1")

    response = Client().post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"}, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429


def test_organizers_need_no_code(organizer_client, db):
    gallery, photo = _private_gallery()

    assert str(photo.key) in organizer_client.get(gallery.get_absolute_url()).text


def test_a_public_gallery_sends_the_access_page_on_to_the_gallery(client, db):
    gallery = make_gallery()

    assert client.get(f"/g/{gallery.slug}/access/")["Location"] == gallery.get_absolute_url()


def test_the_access_page_of_a_draft_is_not_found(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, is_published=False)

    assert client.get(f"/g/{gallery.slug}/access/").status_code == 404
