"""The admin's cover picker (galleries/admin_widgets.py): the gallery's own photos as
thumbnails with radio buttons, a plain form field that works without JavaScript."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from galleries import files
from galleries.tests.factories import bulk_ready_photos, make_gallery, upload_photo


def _change_page(client, gallery):
    response = client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")
    assert response.status_code == 200
    return response.text


def _picker(page: str) -> str:
    return page.split('<div class="cover-picker"', 1)[1].split("</div>", 1)[0]


def _form_data(gallery, **fields):
    return {
        "name": gallery.name,
        "slug": gallery.slug,
        "event_date": "",
        "description": gallery.description,
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "owner": "",
        **({"is_published": "on"} if gallery.is_published else {}),
        **fields,
    }


def test_it_shows_the_gallerys_own_photos_as_thumbnails_with_the_cover_checked(organizer_client):
    gallery = make_gallery()
    first, cover = upload_photo(gallery, filename="IMG_0001.jpg"), upload_photo(gallery, filename="IMG_0002.jpg")
    pending = upload_photo(gallery, process=False, filename="IMG_0003.jpg")
    stranger = upload_photo(make_gallery(), filename="OTHER.jpg")
    gallery.cover = cover
    gallery.save()

    page = _change_page(organizer_client, gallery)
    picker = _picker(page)

    radios = re.findall(r'<input type="radio" name="cover" value="([^"]*)"([^>]*)>', picker)
    assert [value for value, _ in radios] == ["", str(first.pk), str(cover.pk)]
    assert [value for value, attrs in radios if " checked" in attrs] == [str(cover.pk)]
    for photo in (first, cover):
        assert f'<img src="{files.photo_url(photo, "thumb")}"' in picker
    assert "IMG_0001.jpg" in picker and "IMG_0002.jpg" in picker
    assert "OTHER.jpg" not in picker and "IMG_0003.jpg" not in picker
    assert str(pending.key) not in picker and str(stranger.key) not in picker
    assert "None: the first photo" in picker
    assert "galleries/admin-cover-picker.css" in page
    assert '<select name="cover"' not in page


def test_its_thumbnails_are_served_to_the_organizer(organizer_client):
    gallery = make_gallery()
    photo = upload_photo(gallery)

    response = organizer_client.get(files.photo_url(photo, "thumb"))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_a_cover_picked_with_its_radio_button_is_saved(organizer_client):
    gallery = make_gallery()
    photo = upload_photo(gallery)

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _form_data(gallery, cover=photo.pk)
    )

    assert response.status_code == 302
    gallery.refresh_from_db()
    assert gallery.cover == photo
    organizer_client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", _form_data(gallery, cover=""))
    gallery.refresh_from_db()
    assert gallery.cover is None


def test_another_gallerys_photo_is_refused_as_its_cover(organizer_client):
    gallery = make_gallery()
    upload_photo(gallery)
    stranger = upload_photo(make_gallery())

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _form_data(gallery, cover=stranger.pk)
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    gallery.refresh_from_db()
    assert gallery.cover is None


def test_its_queries_do_not_grow_with_the_photos(organizer_client):
    few, many = make_gallery(), make_gallery()
    bulk_ready_photos(few, 3)
    bulk_ready_photos(many, 200)
    _change_page(organizer_client, few)

    with CaptureQueriesContext(connection) as for_few:
        _change_page(organizer_client, few)
    with CaptureQueriesContext(connection) as for_many:
        page = _change_page(organizer_client, many)

    assert _picker(page).count('type="radio" name="cover"') == 201
    assert len(for_many) == len(for_few)
