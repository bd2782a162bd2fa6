from datetime import datetime

from django.utils.html import escape

from galleries.files import photo_view_url as file_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo


def _three_photos():
    gallery = make_gallery()
    photos = [
        upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 5, 2, 10, minute))) for minute in range(3)
    ]
    return gallery, photos


def test_it_shows_the_photo_with_previous_next_and_download(client, db):
    gallery, (first, middle, last) = _three_photos()

    html = client.get(f"/g/{gallery.slug}/p/{middle.key}/").text

    assert f'src="{file_url(middle, "display")}"' in html
    assert f'rel="prev" href="/g/{gallery.slug}/p/{first.key}/"' in html
    assert f'rel="next" href="/g/{gallery.slug}/p/{last.key}/"' in html
    assert f"{escape(file_url(middle, 'original', download=True))}" in html


def test_the_first_and_last_photos_have_one_neighbour(client, db):
    gallery, (first, _, last) = _three_photos()

    assert 'rel="prev"' not in client.get(f"/g/{gallery.slug}/p/{first.key}/").text
    assert 'rel="next"' not in client.get(f"/g/{gallery.slug}/p/{last.key}/").text


def test_it_links_back_to_the_page_the_photo_is_on(client, db, settings):
    settings.PHOTOS_PER_PAGE = 2
    gallery, (_, _, last) = _three_photos()

    html = client.get(f"/g/{gallery.slug}/p/{last.key}/").text

    assert f'href="/g/{gallery.slug}/?page=2"' in html


def test_a_photo_of_another_gallery_is_not_found(client, db):
    gallery, _ = _three_photos()
    other = upload_photo(make_gallery())

    assert client.get(f"/g/{gallery.slug}/p/{other.key}/").status_code == 404


def test_a_private_photo_needs_the_code(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE)
    photo = upload_photo(gallery)

    assert client.get(f"/g/{gallery.slug}/p/{photo.key}/").status_code == 302


def test_it_shows_the_photos_own_link_to_copy_and_a_share_button_for_the_script(client, db):
    gallery, (_, middle, _) = _three_photos()

    html = client.get(f"/g/{gallery.slug}/p/{middle.key}/").text

    link = f"http://testserver/g/{gallery.slug}/p/{middle.key}/"
    assert f'<input type="url" readonly value="{link}">' in html
    assert f'data-share-url="{link}"' in html
    assert "galleries/share.js" in html


def test_it_describes_the_photo_for_who_does_not_see_it(client, db):
    gallery = make_gallery(name="Summer party", event_date=datetime(2026, 6, 1).date())
    photos = [upload_photo(gallery) for _ in range(3)]

    html = client.get(f"/g/{gallery.slug}/p/{photos[1].key}/").text

    assert 'alt="Summer party, 1 June 2026: photo 2 of 3"' in html
    assert '<h1 class="visually-hidden">Summer party, 1 June 2026: photo 2 of 3</h1>' in html


def test_it_is_the_viewer_rendered_by_the_server_with_the_file_name(client, db):
    gallery = make_gallery(name="Summer party")
    upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 5, 2, 10, 0)), filename="IMG_0001.jpg")
    photo = upload_photo(gallery, content=unique_jpeg(taken_at=datetime(2026, 5, 2, 10, 1)), filename="Lake & sun.jpg")
    Photo.objects.filter(pk=photo.pk).update(guest_name="Ann")

    html = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert '<section class="viewer viewer-page" id="viewer" aria-label="Photo viewer"' in html
    assert '<span class="viewer-name">Lake &amp; sun.jpg</span>' in html
    assert '<span class="viewer-position" aria-live="polite">2 / 2</span>' in html
    assert '<span class="viewer-caption">Added by Ann</span>' in html
    # Without JavaScript: a link closes it, <details> opens its menu, a form hearts the photo.
    assert f'<a class="viewer-close viewer-control" href="{gallery.get_absolute_url()}"' in html
    assert '<details class="viewer-pop viewer-more">' in html
    assert '<button type="submit" class="viewer-heart heart-button viewer-control"' in html
    assert f'href="/g/{gallery.slug}/slideshow/">Slideshow</a>' in html
    assert '<script src="/static/galleries/viewer.js" defer></script>' in html


def test_the_gallery_tiles_carry_the_file_name_for_the_viewer(client, db):
    gallery = make_gallery()
    upload_photo(gallery, filename="DSC_0042.jpg")

    html = client.get(gallery.get_absolute_url()).text

    assert 'data-name="DSC_0042.jpg"' in html
    assert '<dialog class="viewer" id="viewer" aria-label="Photo viewer"' in html
