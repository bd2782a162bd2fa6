"""POST /g/<slug>/favourites/<key>/: a heart from the photo page's form (no JavaScript)
or the gallery page's script, for photos the visitor sees only."""

import pytest
from django.test import Client

from favourites.models import Favourite
from favourites.tests.conftest import heart
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user, upload_photo


def test_it_hearts_a_photo_without_javascript_and_comes_back_to_it(client, photos):
    photo = photos[1]
    page = client.get(f"/g/anna-ben/p/{photo.key}/")
    assert b'id="favourite"' in page.content
    assert b'name="favourite" value="1"' in page.content
    assert b'aria-pressed="false"' in page.content

    response = client.post(f"/g/anna-ben/favourites/{photo.key}/", {"favourite": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/g/anna-ben/p/{photo.key}/#favourite"

    page = client.get(response["Location"])
    assert b'name="favourite" value="0"' in page.content
    assert b'aria-pressed="true"' in page.content
    assert Favourite.objects.get().photo == photo

    response = client.post(f"/g/anna-ben/favourites/{photo.key}/", {"favourite": "0"})
    assert response.status_code == 302
    assert not Favourite.objects.exists()


def test_it_goes_back_to_a_page_of_ours_only(client, photos):
    response = client.post(
        f"/g/anna-ben/favourites/{photos[0].key}/", {"favourite": "0", "next": "/g/anna-ben/favourites/"}
    )
    assert response["Location"] == "/g/anna-ben/favourites/"
    response = client.post(
        f"/g/anna-ben/favourites/{photos[0].key}/", {"favourite": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/g/anna-ben/p/{photos[0].key}/#favourite"


def test_it_answers_the_script_in_json(client, photos):
    response = heart(client, photos[0])
    assert response.status_code == 200
    assert response.json() == {"photo": str(photos[0].key), "favourite": True}
    assert response["Cache-Control"] == "private, no-store"
    assert heart(client, photos[0], "0").json()["favourite"] is False


def test_each_device_has_its_own_hearts(client, photos):
    heart(client, photos[0])
    other_device = Client()
    heart(other_device, photos[1])
    assert client.get("/g/anna-ben/favourites/state").json()["photos"] == [str(photos[0].key)]
    assert other_device.get("/g/anna-ben/favourites/state").json()["photos"] == [str(photos[1].key)]


def test_it_needs_the_csrf_token_that_the_state_answer_sets_in_a_cookie(photos):
    browser = Client(enforce_csrf_checks=True)
    assert heart(browser, photos[0]).status_code == 403
    state = browser.get("/g/anna-ben/favourites/state")
    token = state.cookies["csrftoken"].value
    assert not state.cookies["csrftoken"]["httponly"]  # the script reads it
    response = heart(browser, photos[0], HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert Favourite.objects.count() == 1


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_a_photo_not_ready_is_not_found_and_nothing_is_stored(client, gallery, status):
    photo = upload_photo(gallery, process=False)
    gallery.photos.filter(pk=photo.pk).update(status=status)
    assert heart(client, photo).status_code == 404
    assert client.post(f"/g/anna-ben/favourites/{photo.key}/", {"favourite": "1"}).status_code == 404
    assert not Favourite.objects.exists()


def test_a_photo_of_another_gallery_or_a_made_up_key_is_not_found(client, photos):
    elsewhere = upload_photo(make_gallery(slug="elsewhere"))
    response = client.post(
        f"/g/anna-ben/favourites/{elsewhere.key}/", {"favourite": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 404
    assert response.json() == {"error": "There is no such photo in this gallery."}
    assert client.post("/g/anna-ben/favourites/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.post("/g/anna-ben/favourites/42/", {"favourite": "1"}).status_code == 404
    assert not Favourite.objects.exists()


def test_a_heart_without_its_state_is_refused(client, photos):
    response = heart(client, photos[0], "toggle")
    assert response.status_code == 400
    assert "favourite=1 or 0" in response.json()["error"]
    assert client.post(f"/g/anna-ben/favourites/{photos[0].key}/").status_code == 400
    assert not Favourite.objects.exists()


def test_a_heart_past_the_cap_is_refused_clearly(client, photos, settings):
    settings.FAVOURITES_PER_GALLERY = 1
    heart(client, photos[0])
    response = heart(client, photos[1])
    assert response.status_code == 400
    assert response.json()["error"].startswith("You can keep 1 favourite in this gallery.")
    page = client.post(f"/g/anna-ben/favourites/{photos[1].key}/", {"favourite": "1"})
    assert page.status_code == 400
    assert b"You can keep 1 favourite in" in page.content
    assert Favourite.objects.count() == 1


def test_a_private_gallery_asks_for_its_code_first(client, photos, gallery):
    Gallery.objects.filter(pk=gallery.pk).update(visibility="private", access_code="letmein")
    response = heart(client, photos[0])
    assert response.status_code == 302 and response["Location"] == "/g/anna-ben/access/"
    client.post("/g/anna-ben/access/", {"code": "letmein"})
    assert heart(client, photos[0]).json()["favourite"] is True


def test_a_closed_gallery_is_closed_to_hearts(client, photos, gallery):
    from django.utils import timezone

    Gallery.objects.filter(pk=gallery.pk).update(closes_at=timezone.now())
    assert heart(client, photos[0]).status_code == 410
    assert not Favourite.objects.exists()


def test_a_draft_is_not_found_by_guests_and_open_to_its_owner(client, photos, gallery):
    owner = make_user(staff=True)
    Gallery.objects.filter(pk=gallery.pk).update(is_published=False, owner=owner)
    assert heart(client, photos[0]).status_code == 404
    assert heart(Client(), photos[0]).status_code == 404
    other = Client()
    other.force_login(make_user(staff=True))
    assert heart(other, photos[0]).status_code == 404
    client.force_login(owner)
    assert heart(client, photos[0]).status_code == 200


def test_get_is_not_allowed(client, photos):
    assert client.get(f"/g/anna-ben/favourites/{photos[0].key}/").status_code == 405
