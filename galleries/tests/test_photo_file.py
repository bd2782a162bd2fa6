from io import BytesIO

from PIL import Image

from galleries import files
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_serves_the_derivatives(client, db):
    photo = upload_photo(make_gallery())

    thumb = client.get(f"/photos/{photo.key}/thumb")
    middle = client.get(f"/photos/{photo.key}/middle")
    display = client.get(f"/photos/{photo.key}/display")

    assert thumb["Content-Type"] == middle["Content-Type"] == "image/jpeg"
    assert Image.open(BytesIO(_body(thumb))).size == (400, 300)
    assert Image.open(BytesIO(_body(middle))).size == (640, 480)
    assert Image.open(BytesIO(_body(display))).size == (640, 480)
    assert middle["Content-Disposition"] == 'inline; filename="IMG_0001-web.jpg"'

    assert thumb["Cache-Control"] == "private, max-age=3600"


def test_the_download_is_the_untouched_original_under_its_name(client, db):
    original = unique_jpeg()
    photo = upload_photo(make_gallery(), content=original, filename="Wedding 042.jpg")

    response = client.get(f"/photos/{photo.key}/original", {"download": 1})

    assert _body(response) == original
    assert response["Content-Disposition"] == 'attachment; filename="Wedding 042.jpg"'


def test_private_photos_are_not_cached_by_shared_caches(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE)
    photo = upload_photo(gallery)
    client.post(f"/g/{gallery.slug}/access/", {"code": gallery.access_code})

    assert client.get(f"/photos/{photo.key}/thumb")["Cache-Control"] == "private, max-age=3600"


def test_files_of_locked_drafts_and_unprocessed_photos_are_not_found(client, db):
    private_photo = upload_photo(make_gallery(visibility=Gallery.Visibility.PRIVATE))
    draft_photo = upload_photo(make_gallery(is_published=False))
    pending_photo = upload_photo(make_gallery(), process=False)

    for photo in (private_photo, draft_photo, pending_photo):
        assert client.get(f"/photos/{photo.key}/original").status_code == 404


def test_an_unknown_kind_or_key_is_not_found(client, db):
    photo = upload_photo(make_gallery())

    assert client.get(f"/photos/{photo.key}/secret").status_code == 404
    assert client.get("/photos/00000000-0000-0000-0000-000000000000/thumb").status_code == 404


def test_the_middle_size_follows_the_same_access_rules_as_the_others(client, db):
    private_photo = upload_photo(make_gallery(visibility=Gallery.Visibility.PRIVATE))
    draft_photo = upload_photo(make_gallery(is_published=False))
    pending_photo = upload_photo(make_gallery(), process=False)

    for photo in (private_photo, draft_photo, pending_photo):
        assert client.get(f"/photos/{photo.key}/middle").status_code == 404

    client.post(f"/g/{private_photo.gallery.slug}/access/", {"code": private_photo.gallery.access_code})
    response = client.get(f"/photos/{private_photo.key}/middle")
    assert (response.status_code, response["Cache-Control"]) == (200, "private, max-age=3600")


def test_a_photo_processed_before_the_middle_size_existed_has_no_middle_file(client, db):
    photo = upload_photo(make_gallery())
    Photo.objects.filter(pk=photo.pk).update(middle="")

    assert client.get(f"/photos/{photo.key}/middle").status_code == 404
    assert client.get(f"/photos/{photo.key}/display").status_code == 200


def test_an_originals_address_moves_when_its_faces_are_blurred(db):
    # Guests are then sent the blurred display image at the original's address: a
    # browser or a shared cache must not answer it with the original it kept.
    photo = upload_photo(make_gallery())
    before = {kind: files.photo_view_url(photo, kind) for kind in ("original", "display")}

    photo.faces_blurred = True

    assert files.photo_view_url(photo, "original") != before["original"]
    assert files.photo_view_url(photo, "display") == before["display"]  # its own file moves when redrawn
    assert files.photo_view_url(photo, "original", download=True).endswith("&download=1")
