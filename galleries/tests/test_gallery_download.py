"""GET /g/<slug>/download/: every photo a visitor sees, in one ZIP streamed from storage."""

import io
import tracemalloc
import uuid
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.html import escape

from galleries import downloads
from galleries.files import photo_view_url as file_url
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo


def _zip(response) -> tuple[zipfile.ZipFile, bytes]:
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None  # every file's CRC checks out
    return archive, body


@pytest.mark.parametrize("any_storage", ["local", pytest.param("s3", marks=pytest.mark.s3)], indirect=True)
def test_it_holds_the_ready_photos_under_unique_readable_names(client, db, any_storage):
    gallery = make_gallery(slug="summer-party")
    contents = [unique_jpeg() for _ in range(4)]
    upload_photo(gallery, content=contents[0], filename="IMG_0001.jpg")
    upload_photo(gallery, content=contents[1], filename="IMG_0001.jpg")
    upload_photo(gallery, content=contents[2], filename="img_0001.JPG")
    upload_photo(gallery, content=contents[3], filename="Fête.jpeg")
    upload_photo(gallery, filename="still-pending.jpg", process=False)

    response = client.get(f"/g/{gallery.slug}/download/")
    archive, _ = _zip(response)

    assert archive.namelist() == ["IMG_0001.jpg", "IMG_0001 (2).jpg", "img_0001 (3).JPG", "Fête.jpeg"]
    assert [archive.read(name) for name in archive.namelist()] == contents
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="summer-party.zip"'


def test_an_empty_gallery_is_an_empty_archive_and_has_no_button(client, db):
    gallery = make_gallery()

    archive, _ = _zip(client.get(f"/g/{gallery.slug}/download/"))

    assert archive.namelist() == []
    assert "Download all" not in client.get(gallery.get_absolute_url()).text


def test_several_hundred_photos_are_streamed_without_holding_them_in_memory(client, db):
    gallery = make_gallery()
    photo_bytes = 64 * 1024
    rows = []
    for number in range(300):
        key = uuid.uuid4()
        name = default_storage.save(f"galleries/{gallery.pk}/{key}/original.jpg", ContentFile(b"\xff" * photo_bytes))
        rows.append(
            Photo(
                gallery=gallery,
                key=key,
                original=name,
                original_filename=f"IMG_{number:04d}.jpg",
                content_hash=f"{number:064x}",
                file_size=photo_bytes,
                format="JPEG",
                width=6000,
                height=4000,
                sort_at=timezone.now() + timezone.timedelta(seconds=number),
                status=Photo.Status.READY,
            )
        )
    Photo.objects.bulk_create(rows)
    # Once unmeasured: a process's first request loads URLs, templates and middleware,
    # a few MB that are not the archive's (this test failed alone, passed after others).
    b"".join(client.get(f"/g/{gallery.slug}/download/").streaming_content)

    tracemalloc.start()
    try:
        response = client.get(f"/g/{gallery.slug}/download/")
        assert response.streaming
        sent = 0
        for chunk in response.streaming_content:
            sent += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sent == int(response["Content-Length"]) > 300 * photo_bytes
    # The archive is 19 MB; what is held at once is a few pieces of a file.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_the_menu_tells_the_number_and_each_size_in_mb_and_holds_plain_links(client, db):
    gallery = make_gallery()
    sizes = [upload_photo(gallery).file_size for _ in range(3)]

    page = client.get(gallery.get_absolute_url()).text

    assert '<details class="download-menu">' in page
    assert "Download all <span" in page and "(3 photos)" in page
    for size in ("original", "large", "web"):
        assert f'href="/g/{gallery.slug}/download/?size={size}" download data-size="{size}"' in page
    megabytes = round((sum(sizes) + 3 * 150) / 1e6, 1)
    assert f"about {max(0.1, megabytes):g} MB" in page


def test_a_list_of_photos_is_zipped_for_find_me(db):
    gallery = make_gallery()
    photos = [upload_photo(gallery, filename=f"guest-{n}.jpg") for n in range(3)]

    archive_stream = downloads.photos_zip(
        photos=Photo.objects.filter(key__in=[photos[0].key, photos[2].key]), kind="original"
    )
    body = b"".join(archive_stream)

    assert len(body) == len(archive_stream)
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["guest-0.jpg", "guest-2.jpg"]


def test_a_photo_whose_file_is_gone_is_left_out(client, db):
    gallery = make_gallery()
    kept = upload_photo(gallery, filename="kept.jpg")
    gone = upload_photo(gallery, filename="gone.jpg")
    default_storage.delete(gone.original.name)

    archive, _ = _zip(client.get(f"/g/{gallery.slug}/download/"))

    assert archive.namelist() == [kept.original_filename]


# --- The gallery's download policy --------------------------------------------------------


@pytest.fixture
def owner(db):
    return make_user(staff=True)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _gallery(owner, downloads):
    gallery = make_gallery(owner=owner, downloads=downloads)
    photo = upload_photo(gallery, filename="Wedding 042.jpg")
    return gallery, photo


def test_display_size_only_gives_guests_the_display_images(client, db, owner):
    gallery, photo = _gallery(owner, Gallery.Downloads.DISPLAY)

    archive, _ = _zip(client.get(f"/g/{gallery.slug}/download/"))
    page = client.get(gallery.get_absolute_url()).text
    photo_page = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert archive.namelist() == ["Wedding 042.jpg"]
    assert archive.read("Wedding 042.jpg") == default_storage.open(photo.display.name).read()
    assert client.get(f"/photos/{photo.key}/original", {"download": 1}).status_code == 403
    assert client.get(f"/photos/{photo.key}/display", {"download": 1}).status_code == 200
    assert f'data-download="{escape(file_url(photo, "display", download=True))}"' in page
    assert "/original" not in page
    assert 'data-size="large"' in page and 'data-size="web"' in page and 'data-size="original"' not in page
    assert f'href="{escape(file_url(photo, "display", download=True))}" download data-size="large"' in photo_page


def test_no_downloads_leaves_guests_the_images_to_look_at_only(client, db, owner):
    gallery, photo = _gallery(owner, Gallery.Downloads.NONE)

    page = client.get(gallery.get_absolute_url()).text
    photo_page = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert client.get(f"/g/{gallery.slug}/download/").status_code == 403
    assert client.get(f"/photos/{photo.key}/original", {"download": 1}).status_code == 403
    assert client.get(f"/photos/{photo.key}/display").status_code == 200
    assert client.get(f"/photos/{photo.key}/thumb").status_code == 200
    assert "Download" not in page
    assert "data-download" not in page
    assert "viewer-download" not in page
    assert "Download" not in photo_page


@pytest.mark.parametrize("policy", [Gallery.Downloads.DISPLAY, Gallery.Downloads.NONE])
def test_the_organizer_always_downloads_the_originals(owner_client, db, owner, policy):
    gallery, photo = _gallery(owner, policy)

    archive, _ = _zip(owner_client.get(f"/g/{gallery.slug}/download/"))
    page = owner_client.get(gallery.get_absolute_url()).text

    assert archive.namelist() == ["Wedding 042.jpg"]
    assert owner_client.get(f"/photos/{photo.key}/original", {"download": 1}).status_code == 200
    assert f'data-download="{escape(file_url(photo, "original", download=True))}"' in page
    assert "Download all" in page


def test_a_guest_and_the_organizer_each_get_their_own_links_from_the_cached_grid(client, owner_client, db, owner):
    gallery, photo = _gallery(owner, Gallery.Downloads.DISPLAY)
    guest = type(client)()

    organizers_tiles = owner_client.get(gallery.get_absolute_url(), {"fragment": 1}).text
    guests_tiles = guest.get(gallery.get_absolute_url(), {"fragment": 1}).text

    assert f"{escape(file_url(photo, 'original', download=True))}" in organizers_tiles
    assert f"{escape(file_url(photo, 'display', download=True))}" in guests_tiles
    assert "original?download" not in guests_tiles


@pytest.mark.parametrize(
    ("policy", "guest_gets_original"),
    [(Gallery.Downloads.ORIGINALS, True), (Gallery.Downloads.DISPLAY, False), (Gallery.Downloads.NONE, False)],
)
def test_the_api_gives_guests_the_original_only_when_the_policy_allows(client, db, owner, policy, guest_gets_original):
    from api.tests.factories import bearer, make_api_key

    gallery, _ = _gallery(owner, policy)

    as_guest = client.get(f"/api/gallery/{gallery.pk}/photos").json()["results"][0]["urls"]
    as_owner = client.get(f"/api/gallery/{gallery.pk}/photos", **bearer(make_api_key(owner))).json()["results"][0][
        "urls"
    ]

    assert (as_guest["original"] is not None) == guest_gets_original
    assert as_guest["display"] is not None and as_guest["thumbnail"] is not None
    assert as_owner["original"] is not None
