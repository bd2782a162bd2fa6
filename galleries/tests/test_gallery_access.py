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


def test_organizers_need_no_code(organizer_client, db):
    gallery, photo = _private_gallery()

    assert str(photo.key) in organizer_client.get(gallery.get_absolute_url()).text


def test_a_public_gallery_sends_the_access_page_on_to_the_gallery(client, db):
    gallery = make_gallery()

    assert client.get(f"/g/{gallery.slug}/access/")["Location"] == gallery.get_absolute_url()


def test_the_access_page_of_a_draft_is_not_found(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, is_published=False)

    assert client.get(f"/g/{gallery.slug}/access/").status_code == 404
