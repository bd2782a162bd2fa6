from datetime import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from galleries.files import photo_view_url as file_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import bulk_ready_photos, make_gallery, unique_jpeg, upload_photo
from galleries.tiles import photo_tile


def test_it_shows_ready_photos_with_sizes_and_lazy_loading(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery)

    response = client.get(gallery.get_absolute_url())

    assert response.status_code == 200
    html = response.text
    assert f'src="{file_url(photo, "thumb")}"' in html
    # A 640 px photo: its middle and display images are the same size, and a width is given once.
    assert f'srcset="{file_url(photo, "thumb")} 400w, {file_url(photo, "display")} 640w"' in html
    assert 'loading="lazy"' in html
    assert 'width="400" height="300"' in html  # no layout jump: the thumbnail's size
    assert f"/g/{gallery.slug}/p/{photo.key}/" in html  # the viewer without JavaScript


def test_it_hides_photos_that_are_not_ready(client, db):
    gallery = make_gallery()
    pending = upload_photo(gallery, process=False)

    response = client.get(gallery.get_absolute_url())

    assert str(pending.key) not in response.text
    assert "No photos here yet" in response.text


def test_it_pages_with_plain_links(client, db, settings):
    settings.PHOTOS_PER_PAGE = 60
    gallery = make_gallery()
    bulk_ready_photos(gallery, 130)

    first = client.get(gallery.get_absolute_url())
    third = client.get(gallery.get_absolute_url(), {"page": 3})

    assert first.text.count('class="tile"') == 60
    assert 'rel="next" href="?page=2"' in first.text
    assert third.text.count('class="tile"') == 10
    assert 'rel="next"' not in third.text
    assert 'rel="prev" href="?page=2"' in third.text


def test_it_answers_the_infinite_scroll_with_a_fragment(client, db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 70)

    response = client.get(gallery.get_absolute_url(), {"page": 2, "fragment": 1})

    assert response.text.count('class="tile"') == 10
    assert "<html" not in response.text


def test_a_page_past_the_end_shows_the_last_page(client, db):
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)

    response = client.get(gallery.get_absolute_url(), {"page": 99})

    assert response.status_code == 200
    assert response.text.count('class="tile"') == 3


# As browsers ask: without Accept-Language a page also reads the gallery's default language
# (eventgallery/languages.py), one query a minute.
A_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.mark.parametrize(("photos", "page"), [(20, 1), (2000, 1), (2000, 30)])
def test_its_query_count_is_the_same_for_any_page_and_gallery_size(client, db, photos, page):
    gallery = make_gallery()
    bulk_ready_photos(gallery, photos)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(gallery.get_absolute_url(), {"page": page}, headers=A_BROWSER)
    with CaptureQueriesContext(connection) as queries_again:
        response_again = client.get(gallery.get_absolute_url(), {"page": page}, headers=A_BROWSER)

    assert response.status_code == 200
    assert response.text.count('class="tile"') == (20 if photos == 20 else 60)
    assert len(queries) == 4  # the gallery, the count, the page, the files' bytes for the download menu
    assert response_again.content == response.content
    assert len(queries_again) == 1  # the gallery; the page comes from the cache


def test_a_draft_is_for_organizers_only(client, organizer_client, db):
    gallery = make_gallery(is_published=False)
    upload_photo(gallery)

    assert client.get(gallery.get_absolute_url()).status_code == 404
    response = organizer_client.get(gallery.get_absolute_url())
    assert response.status_code == 200
    assert "Draft" in response.text


def test_an_unlisted_gallery_opens_by_its_link(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.UNLISTED)
    upload_photo(gallery)

    assert client.get(gallery.get_absolute_url()).status_code == 200


def test_a_private_gallery_asks_for_its_code(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE)

    response = client.get(gallery.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == f"/g/{gallery.slug}/access/"


def test_an_unknown_gallery_is_not_found(client, db):
    assert client.get("/g/nothing-here/").status_code == 404


def test_photos_are_ordered_by_capture_time(client, db):
    gallery = make_gallery()
    later = upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 6, 1, 15, 0)))
    earlier = upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 6, 1, 14, 0)))

    html = client.get(gallery.get_absolute_url()).text

    assert html.index(str(earlier.key)) < html.index(str(later.key))


def test_a_tile_offers_the_three_sizes_so_that_a_phone_takes_the_middle_one(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))

    html = client.get(gallery.get_absolute_url()).text

    assert (
        f'srcset="{file_url(photo, "thumb")} 400w, {file_url(photo, "middle")} 1024w, '
        f'{file_url(photo, "display")} 1600w"' in html
    )
    # The tile's width in its justified row (galleries/layout.py): on a phone 1.5 times
    # a 110 px row grown by a quarter, 206 px, 618 px at 3x, which the middle image
    # covers and the thumbnail does not.
    assert (
        'sizes="(min-width: 1200px) min(450px, 100vw - 48px), (min-width: 600px) min(375px, 100vw - 48px), 206px"'
        in html
    )
    assert 'style="--ar:1.5"' in html  # the row lays itself out from it, without JavaScript
    assert 'width="400" height="267"' in html


def test_a_tile_without_a_middle_image_offers_the_display_one_meanwhile(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))
    Photo.objects.filter(pk=photo.pk).update(middle="")
    Gallery.objects.filter(pk__in=[gallery.pk]).touch()

    html = client.get(gallery.get_absolute_url()).text

    assert f'srcset="{file_url(photo, "thumb")} 400w, {file_url(photo, "display")} 1600w"' in html
    assert "/middle" not in html


def test_the_photo_page_offers_the_three_sizes_for_its_width(client, db):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))

    html = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert f'src="{file_url(photo, "display")}"' in html
    assert f"{file_url(photo, 'middle')} 1024w, {file_url(photo, 'display')} 1600w" in html
    # As the viewer draws it: the screen's width, or the height below its bar times the aspect ratio.
    assert 'sizes="min(100vw, calc((100vh - 3.5rem) * 1.5), 1600px)" width="1600" height="1067"' in html


def test_find_me_tiles_offer_the_three_sizes_at_their_width(db):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=2000, height=3000))
    tile = {**photo_tile(photo), "face_box": {"left": 10, "top": 10, "width": 20, "height": 20}}

    html = render_to_string("faces/_match_tiles.html", {"tiles": [tile], "gallery": gallery, "label": "You"})

    assert (
        f'srcset="{file_url(photo, "thumb")} 267w, {file_url(photo, "middle")} 683w, '
        f'{file_url(photo, "display")} 1067w"' in html
    )
    # Justified rows like the gallery's: a portrait is two thirds of a 110 px row, grown.
    assert (
        'sizes="(min-width: 1200px) min(200px, 100vw - 48px), (min-width: 600px) min(167px, 100vw - 48px), 92px"'
        in html
    )
    assert 'style="--ar:0.6667"' in html
    assert 'width="267" height="400"' in html


def test_the_hero_shows_the_cover_or_else_the_first_photo(client, db):
    gallery = make_gallery(name="Summer party")
    first = upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 6, 1, 14, 0)))
    cover = upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 6, 1, 15, 0)))

    html = client.get(gallery.get_absolute_url()).text
    assert f'class="hero-image" src="{file_url(first, "display")}"' in html

    gallery.cover = cover
    gallery.save()
    html = client.get(gallery.get_absolute_url()).text
    assert f'class="hero-image" src="{file_url(cover, "display")}"' in html
    assert '<h1 class="hero-title" id="gallery-title">Summer party</h1>' in html
    assert "2 photos" in html


def test_a_tile_describes_its_photo(client, db):
    gallery = make_gallery(name="Summer party", event_date=datetime(2026, 6, 1).date())
    upload_photo(gallery)
    upload_photo(gallery)

    html = client.get(gallery.get_absolute_url()).text

    assert 'alt="Summer party, 1 June 2026: photo 1 of 2"' in html
    assert 'alt="Summer party, 1 June 2026: photo 2 of 2"' in html
    assert 'alt="Photo' not in html


def test_a_guests_photo_is_credited_in_its_tile_and_on_its_page(client, db):
    gallery = make_gallery(name="Summer party", guest_uploads=Gallery.GuestUploads.OPEN)
    photo = upload_photo(gallery)
    Photo.objects.filter(pk=photo.pk).update(uploaded_by_guest=True, guest_name="Ann")
    Gallery.objects.filter(pk__in=[gallery.pk]).touch()

    html = client.get(gallery.get_absolute_url()).text
    page = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert 'alt="Summer party: photo 1 of 1, added by Ann"' in html
    assert '<span class="viewer-caption">Added by Ann</span>' in page


def test_an_empty_gallery_that_takes_guests_photos_invites_them(client, db):
    gallery = make_gallery(name="Autumn walk", guest_uploads=Gallery.GuestUploads.DROP_BOX)

    html = client.get(gallery.get_absolute_url()).text

    assert f'<a href="/g/{gallery.slug}/upload/">add your photos</a>' in html
    assert f'href="/g/{gallery.slug}/upload/">Add your photos</a>' in html


def test_an_empty_gallery_says_its_photos_are_coming(client, db):
    gallery = make_gallery(name="Autumn walk")

    html = client.get(gallery.get_absolute_url()).text

    assert "Photos coming soon" in html
    assert "will appear on this page as they are published" in html
    assert 'class="hero-image"' not in html


def test_a_tile_says_how_many_people_its_photo_shows_once_faces_are_indexed(
    client, db, django_capture_on_commit_callbacks
):
    from faces.tests import face_images
    from faces.tests.find_me import add_photos, face_search_gallery

    gallery = face_search_gallery(name="Summer party")
    add_photos(gallery, [face_images.group_photo(), face_images.table()], django_capture_on_commit_callbacks)

    html = client.get(gallery.get_absolute_url()).text

    assert 'alt="Summer party: photo 1 of 2, 6 people"' in html
    assert 'alt="Summer party: photo 2 of 2"' in html  # the table: nobody to count


def test_a_page_cached_before_the_faces_were_indexed_is_made_again_after(
    client, db, django_capture_on_commit_callbacks
):
    from faces.services.indexing import gallery_faces_queue
    from faces.tests import face_images
    from faces.tests.find_me import add_photos

    gallery = make_gallery(name="Summer party")
    add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    gallery.face_search_enabled = True
    gallery.save()
    assert 'alt="Summer party: photo 1 of 1"' in client.get(gallery.get_absolute_url()).text  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        gallery_faces_queue(gallery=gallery)

    assert 'alt="Summer party: photo 1 of 1, 6 people"' in client.get(gallery.get_absolute_url()).text
