"""manage.py make_middle_derivatives: the middle size for photos processed before it existed."""

from io import BytesIO, StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo


def _processed_before_the_middle_size(gallery, **jpeg) -> Photo:
    """A ready photo as the worker made them before: thumb and display, no middle."""
    photo = upload_photo(gallery, content=unique_jpeg(**jpeg))
    photo.middle.storage.delete(photo.middle.name)
    Photo.objects.filter(pk=photo.pk).update(middle="")
    photo.refresh_from_db()
    return photo


def _run(*args) -> str:
    out = StringIO()
    call_command("make_middle_derivatives", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_makes_the_middle_image_from_the_display_one_and_the_pages_offer_it(any_storage, client, db):
    gallery = make_gallery()
    photo = _processed_before_the_middle_size(gallery, width=3000, height=2000)
    assert "/middle" not in client.get(gallery.get_absolute_url()).text

    assert "Made 1 middle image(s); 0 photo(s) skipped (of 1 without one)." in _run()

    photo.refresh_from_db()
    assert photo.middle.name.endswith(f"{photo.key}/middle.jpg")
    middle = Image.open(BytesIO(photo.middle.open("rb").read()))
    assert (middle.format, middle.size) == ("JPEG", (1024, 683))
    assert photo.middle_bytes == photo.middle.size
    assert any_storage() == sorted(photo.stored_names)
    # The gallery's cached page is replaced: it offers the new size.
    assert "middle" in client.get(gallery.get_absolute_url()).text


def test_running_it_again_changes_nothing(any_storage, db):
    photo = _processed_before_the_middle_size(make_gallery(), width=3000, height=2000)
    _run()
    photo.refresh_from_db()
    made = (photo.middle.name, photo.middle.open("rb").read(), any_storage())

    assert "Made 0 middle image(s); 0 photo(s) skipped (of 0 without one)." in _run()

    photo.refresh_from_db()
    assert (photo.middle.name, photo.middle.open("rb").read(), any_storage()) == made


def test_it_goes_on_where_a_stopped_run_left_off(any_storage, db):
    gallery = make_gallery()
    done = upload_photo(gallery)  # has its middle image
    stopped = _processed_before_the_middle_size(gallery, width=3000, height=2000)
    # The stopped run had stored the file but not yet saved the row.
    stored = stopped.middle.storage.save(f"galleries/{gallery.pk}/{stopped.key}/middle.jpg", ContentFile(b"partial"))

    assert "Made 1 middle image(s)" in _run()

    stopped.refresh_from_db()
    assert stopped.middle.name == stored  # the leftover was replaced, not kept beside it
    assert stopped.middle.open("rb").read() != b"partial"
    assert any_storage() == sorted(done.stored_names + stopped.stored_names)


def test_photos_it_cannot_do_are_skipped_with_the_reason_and_the_others_are_done(db):
    gallery = make_gallery(slug="summer")
    missing = _processed_before_the_middle_size(gallery)
    missing.display.storage.delete(missing.display.name)
    damaged = _processed_before_the_middle_size(gallery)
    with damaged.display.storage.open(damaged.display.name, "wb") as fh:
        fh.write(b"not a jpeg any more")
    fine = _processed_before_the_middle_size(gallery)
    out = StringIO()

    with pytest.raises(CommandError, match="2 photo"):
        call_command("make_middle_derivatives", stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "Made 1 middle image(s); 2 photo(s) skipped (of 3 without one)." in text
    assert f"summer/IMG_0001.jpg ({missing.key}): its display image is missing from storage" in text
    assert f"({damaged.key}): its display image cannot be read: " in text
    fine.refresh_from_db()
    assert fine.middle.name
    assert not Photo.objects.filter(pk__in=[missing.pk, damaged.pk]).exclude(middle="").exists()


def test_it_does_one_gallery_when_told_and_leaves_photos_that_are_not_ready(db):
    summer, winter = make_gallery(slug="summer"), make_gallery(slug="winter")
    in_summer = _processed_before_the_middle_size(summer)
    in_winter = _processed_before_the_middle_size(winter)
    pending = upload_photo(summer, process=False)

    assert "Made 1 middle image(s)" in _run("summer")

    for photo in (in_summer, in_winter, pending):
        photo.refresh_from_db()
    assert (bool(in_summer.middle.name), in_winter.middle.name, pending.middle.name) == (True, "", "")
    with pytest.raises(CommandError, match="No gallery with the slug 'autumn'"):
        _run("autumn")


@pytest.mark.s3
def test_on_s3_the_tiles_offer_the_middle_image_through_a_signed_url(s3_storage, client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE)
    photo = _processed_before_the_middle_size(gallery, width=3000, height=2000)
    client.post(f"/g/{gallery.slug}/access/", {"code": gallery.access_code})
    assert "middle.jpg" not in client.get(gallery.get_absolute_url()).text

    _run()

    page = client.get(gallery.get_absolute_url()).text
    middle_url = next(part for part in page.split() if f"{photo.key}/middle.jpg?" in part)
    assert "X-Amz-Signature=" in middle_url
    redirect = client.get(f"/photos/{photo.key}/middle")
    assert redirect.status_code == 302 and "X-Amz-Signature=" in redirect["Location"]
