"""The watermark in the worker: drawn into the middle and display images (never the
originals, nor the thumbnails), and drawn again from the originals when it changes."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageChops, ImageStat

from galleries.imaging import make_derivatives
from galleries.models import Gallery, Photo
from galleries.services import watermark as watermark_services
from galleries.services.galleries import gallery_delete
from galleries.services.watermark import gallery_watermark_saved, photo_watermark_refresh, photos_watermark_queue
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.images import rgba_png_bytes

pytestmark = pytest.mark.django_db

TEXT = {"watermark": Gallery.Watermark.TEXT, "watermark_text": "© Studio Lumen", "watermark_size": 30}
# Where a bottom-right mark goes, and a part of the image it never reaches, as shares of the size.
MARK_CORNER = (0.6, 0.75, 1.0, 1.0)
UNTOUCHED = (0.0, 0.0, 0.5, 0.5)


def _image(field_file) -> Image.Image:
    with field_file.storage.open(field_file.name, "rb") as fh:
        return Image.open(io.BytesIO(fh.read())).convert("RGB")


def _unmarked(photo) -> dict[str, Image.Image]:
    """The photo's derivatives as the worker makes them without a watermark."""
    with photo.original.storage.open(photo.original.name, "rb") as fh:
        return {d.kind: Image.open(io.BytesIO(d.content)).convert("RGB") for d in make_derivatives(fh)}


def _difference(a: Image.Image, b: Image.Image, share) -> float:
    box = tuple(round(s * a.size[i % 2]) for i, s in enumerate(share))
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def _assert_marked(photo):
    unmarked = _unmarked(photo)
    for kind, field_file in (("middle", photo.middle), ("display", photo.display)):
        stored = _image(field_file)
        assert _difference(stored, unmarked[kind], MARK_CORNER) > 3, kind
        assert _difference(stored, unmarked[kind], UNTOUCHED) < 0.5, kind
    assert _difference(_image(photo.thumbnail), unmarked["thumb"], (0, 0, 1, 1)) < 0.5


def _assert_unmarked(photo):
    unmarked = _unmarked(photo)
    for kind, field_file in (("middle", photo.middle), ("display", photo.display)):
        assert _difference(_image(field_file), unmarked[kind], (0, 0, 1, 1)) < 0.5, kind


def test_the_worker_draws_it_into_the_middle_and_display_images_and_never_the_original(any_storage):
    gallery = make_gallery(**TEXT)
    upload = unique_jpeg(width=3000, height=2000)

    photo = upload_photo(gallery, content=upload)

    _assert_marked(photo)
    with photo.original.storage.open(photo.original.name, "rb") as fh:
        assert fh.read() == upload
    assert photo.watermark == gallery.watermark_signature() != ""
    assert any_storage() == sorted(photo.stored_names)


def test_without_one_the_images_are_as_they_always_were():
    photo = upload_photo(make_gallery())
    _assert_unmarked(photo)
    assert photo.watermark == ""


def test_a_logo_is_drawn_too(any_storage):
    gallery = make_gallery()
    gallery.watermark_logo.save("logo.png", ContentFile(rgba_png_bytes(400, 200, color=(255, 255, 255, 255))))
    Gallery.objects.filter(pk=gallery.pk).update(watermark="logo", watermark_logo=gallery.watermark_logo.name)

    photo = upload_photo(gallery)

    _assert_marked(photo)
    assert any_storage() == sorted([*photo.stored_names, gallery.watermark_logo.name])


def test_a_photo_whose_gallery_lost_its_logo_fails_with_the_reason():
    gallery = make_gallery(watermark=Gallery.Watermark.LOGO, watermark_logo="watermarks/gone.png")

    photo = upload_photo(gallery)

    assert photo is None
    failed = Photo.objects.get(gallery=gallery)
    assert failed.status == Photo.Status.FAILED
    assert failed.error == (
        "The gallery's watermark logo is missing from storage; choose it again in the gallery's settings."
    )


def test_guests_of_a_display_size_gallery_download_the_marked_image(client):
    gallery = make_gallery(downloads=Gallery.Downloads.DISPLAY, **TEXT)
    photo = upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))

    assert client.get(f"/photos/{photo.key}/original?download=1").status_code == 403
    response = client.get(f"/photos/{photo.key}/display?download=1")

    downloaded = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    assert _difference(downloaded, _unmarked(photo)["display"], MARK_CORNER) > 3


def _change(gallery, django_capture_on_commit_callbacks, **fields) -> int:
    """What the admin does when the organizer saves: the gallery, then its photos queued."""
    for name, value in fields.items():
        setattr(gallery, name, value)
    gallery.full_clean()
    with django_capture_on_commit_callbacks(execute=True):
        gallery.save()
        return gallery_watermark_saved(gallery=gallery, logo_before="")


def test_changing_it_draws_the_ready_photos_again_from_their_originals(any_storage, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    photos = [upload_photo(gallery, content=unique_jpeg(width=2000, height=1500)) for _ in range(2)]
    pending = upload_photo(gallery, process=False)
    before = {p.pk: (p.thumbnail.name, p.middle.name, p.display.name) for p in photos}
    updated_at = Gallery.objects.get(pk=gallery.pk).updated_at

    assert _change(gallery, django_capture_on_commit_callbacks, **TEXT) == 2

    for photo in photos:
        photo.refresh_from_db()
        _assert_marked(photo)
        thumbnail, middle, display = before[photo.pk]
        assert photo.thumbnail.name == thumbnail  # the thumbnail carries no mark: kept
        assert photo.middle.name != middle and photo.display.name != display
        assert photo.watermark == gallery.watermark_signature()
        # The download menus count the new files' bytes.
        assert photo.middle_bytes == photo.middle.size and photo.display_bytes == photo.display.size
    # The old files are gone, the new ones are there, and nothing else.
    pending.refresh_from_db()
    assert any_storage() == sorted(n for p in [*photos, pending] for n in p.stored_names)
    assert pending.status == Photo.Status.PENDING and pending.watermark == ""
    # The gallery's cached page is replaced.
    assert Gallery.objects.get(pk=gallery.pk).updated_at > updated_at


def test_taking_it_away_draws_them_clean_again(django_capture_on_commit_callbacks):
    gallery = make_gallery(**TEXT)
    photo = upload_photo(gallery)

    assert _change(gallery, django_capture_on_commit_callbacks, watermark=Gallery.Watermark.NONE) == 1

    photo.refresh_from_db()
    _assert_unmarked(photo)
    assert photo.watermark == ""


def test_saving_the_gallery_without_changing_it_draws_nothing(django_capture_on_commit_callbacks):
    gallery = make_gallery(**TEXT)
    upload_photo(gallery)
    assert _change(gallery, django_capture_on_commit_callbacks, name="Another name") == 0
    assert _change(gallery, django_capture_on_commit_callbacks, watermark_opacity=80) == 1


def test_a_refresh_run_again_changes_nothing_and_one_that_stopped_is_finished(any_storage):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    Gallery.objects.filter(pk=gallery.pk).update(**TEXT)
    # A run stopped after storing its files, before switching the row.
    left = default_storage.save(f"galleries/{gallery.pk}/{photo.key}/display.jpg", ContentFile(b"half-way"))

    assert photo_watermark_refresh(photo_id=photo.pk) is True
    photo.refresh_from_db()
    drawn = (photo.middle.name, photo.display.name, any_storage())
    assert left not in drawn[2]
    assert drawn[2] == sorted(photo.stored_names)

    assert photo_watermark_refresh(photo_id=photo.pk) is False
    photo.refresh_from_db()
    assert (photo.middle.name, photo.display.name, any_storage()) == drawn


def test_a_refresh_leaves_a_photo_that_is_not_ready_to_its_processing():
    gallery = make_gallery(**TEXT)
    photo = upload_photo(gallery, process=False)

    assert photo_watermark_refresh(photo_id=photo.pk) is False
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.PENDING


def test_a_refresh_that_loses_the_race_to_processing_removes_its_files(any_storage, monkeypatch):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    Gallery.objects.filter(pk=gallery.pk).update(**TEXT)
    real_make_derivatives = watermark_services.make_derivatives

    def made_while_processed_again(*args, **kwargs):
        derivatives = real_make_derivatives(*args, **kwargs)
        Photo.objects.filter(pk=photo.pk).update(display="galleries/elsewhere.jpg")
        return derivatives

    monkeypatch.setattr(watermark_services, "make_derivatives", made_while_processed_again)

    assert photo_watermark_refresh(photo_id=photo.pk) is False
    assert any_storage() == sorted(photo.stored_names)


def test_a_photo_drawn_with_a_watermark_changed_since_is_queued_again(django_capture_on_commit_callbacks):
    gallery = make_gallery(**TEXT)
    photo = upload_photo(gallery)
    Photo.objects.filter(pk=photo.pk).update(watermark="an-older-one")

    with django_capture_on_commit_callbacks(execute=True):
        assert photos_watermark_queue(photos=Photo.objects.filter(pk=photo.pk)) == 1

    assert Photo.objects.get(pk=photo.pk).watermark == gallery.watermark_signature()


def test_deleting_the_gallery_deletes_its_logo(any_storage, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    gallery.watermark_logo.save("logo.png", ContentFile(rgba_png_bytes()))
    assert any_storage() == [gallery.watermark_logo.name]

    with django_capture_on_commit_callbacks(execute=True):
        gallery_delete(gallery=gallery)

    assert any_storage() == []


def test_the_gallery_page_links_the_redrawn_images_under_new_addresses(client, django_capture_on_commit_callbacks):
    # Browsers keep a photo file for a day: the page must not name a redrawn image by the
    # address the old one had.
    gallery = make_gallery(slug="summer-party")
    photo = upload_photo(gallery, content=unique_jpeg(width=2000, height=1500))
    page = client.get("/g/summer-party/").text
    old_display = re.search(rf'data-display="(/photos/{photo.key}/display\?v=\w+)"', page).group(1)

    _change(gallery, django_capture_on_commit_callbacks, **TEXT)

    page = client.get("/g/summer-party/").text
    new_display = re.search(rf'data-display="(/photos/{photo.key}/display\?v=\w+)"', page).group(1)
    assert new_display != old_display
    assert f"/photos/{photo.key}/thumb?v=" in page  # the thumbnail, not redrawn, keeps its address
    served = client.get(new_display)
    photo.refresh_from_db()
    assert b"".join(served.streaming_content) == photo.display.read()
