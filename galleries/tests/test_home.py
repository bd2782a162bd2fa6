from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo


def test_it_lists_public_published_galleries_with_their_covers(client, db):
    gallery = make_gallery(name="Summer Wedding")
    photo = upload_photo(gallery)

    response = client.get("/")

    assert response.status_code == 200
    assert "Summer Wedding" in response.text
    assert f"/photos/{photo.key}/thumb" in response.text


def test_it_uses_the_chosen_cover(client, db):
    gallery = make_gallery()
    upload_photo(gallery)
    cover = upload_photo(gallery)
    gallery.cover = cover
    gallery.save()

    response = client.get("/")

    assert f"/photos/{cover.key}/thumb" in response.text


def test_it_never_lists_unlisted_private_or_draft_galleries(client, db):
    make_gallery(name="Unlisted One", visibility=Gallery.Visibility.UNLISTED)
    make_gallery(name="Private One", visibility=Gallery.Visibility.PRIVATE)
    make_gallery(name="Draft One", is_published=False)

    response = client.get("/")

    assert "Unlisted One" not in response.text
    assert "Private One" not in response.text
    assert "Draft One" not in response.text
    assert "No galleries yet" in response.text


def test_its_query_count_does_not_grow_with_galleries(client, db, django_assert_max_num_queries):
    for _ in range(5):
        upload_photo(make_gallery())
    with django_assert_max_num_queries(2):
        client.get("/")


def test_an_empty_home_page_says_what_this_is(client, db):
    html = client.get("/").text

    assert "The photos of our events, to browse, download and share." in html
    assert "private galleries are not listed here" in html
    assert "Create a gallery" not in html


def test_an_empty_home_page_points_an_organizer_to_the_admin(organizer_client, db):
    html = organizer_client.get("/").text

    assert '<a class="button" href="/admin/galleries/gallery/add/">Create a gallery</a>' in html
