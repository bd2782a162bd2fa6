"""Adding a gallery in the admin: the slug's hint shows the address it makes, and "Save"
leads to the new gallery's page, where its photos are uploaded."""

import datetime

from accounts.services import organizers_group
from galleries.models import Gallery
from galleries.tests.factories import make_gallery, make_user

ADD = "/admin/galleries/gallery/add/"


def _form(**fields):
    return {"name": "Spring fair", "slug": "spring-fair", "visibility": "public", "access_code": "", **fields}


def test_it_goes_to_the_new_gallerys_page_with_its_upload_box_after_save(organizer_client):
    response = organizer_client.post(ADD, _form(), follow=True)

    gallery = Gallery.objects.get(slug="spring-fair")
    [(url, status)] = response.redirect_chain
    assert (url, status) == (f"/admin/galleries/gallery/{gallery.pk}/change/", 302)
    assert 'class="upload-form"' in response.text
    assert 'You can add its photos now: <a href="#photo-upload">Photos</a>, below.' in response.text


def test_an_organizer_of_the_group_is_sent_there_too(client, db):
    organizer = make_user(staff=True)
    organizer.groups.add(organizers_group())
    client.force_login(organizer)

    response = client.post(ADD, _form())

    assert response["Location"] == f"/admin/galleries/gallery/{Gallery.objects.get(slug='spring-fair').pk}/change/"


def test_save_and_add_another_and_continue_keep_their_ways(organizer_client):
    another = organizer_client.post(ADD, _form(_addanother="1"))
    again = organizer_client.post(ADD, _form(name="Autumn fair", slug="autumn-fair", _continue="1"))

    assert another["Location"] == ADD
    assert again["Location"] == f"/admin/galleries/gallery/{Gallery.objects.get(slug='autumn-fair').pk}/change/"


def test_the_add_page_shows_the_address_the_slug_makes_not_a_broken_path(organizer_client):
    page = organizer_client.get(ADD)

    assert "/g//" not in page.text
    assert (
        'The gallery\'s address: <code class="gallery-address">http://testserver/g/'
        '<span class="gallery-address-slug" data-placeholder="slug">slug</span>/</code>'
    ) in page.text
    assert "galleries/admin-slug.js" in page.text


def test_the_change_page_shows_the_gallerys_own_address(organizer_client):
    gallery = make_gallery(slug="summer-party")

    page = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")

    assert (
        'http://testserver/g/<span class="gallery-address-slug" data-placeholder="slug">summer-party</span>/'
        in page.text
    )


def test_the_list_has_short_columns_that_fit_a_phone(organizer_client):
    make_gallery(name="Anna & Ben", visibility=Gallery.Visibility.PRIVATE, event_date=datetime.date(2026, 6, 3))

    page = organizer_client.get("/admin/galleries/gallery/")

    assert '<td class="field-visibility_short">Private</td>' in page.text
    assert '<td class="field-date">3 Jun 2026</td>' in page.text
    assert "galleries/admin-list.css" in page.text
