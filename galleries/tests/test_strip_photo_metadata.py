"""manage.py strip_photo_metadata: the originals stored before uploads lost their
location at ingest are edited as ingest does now, under new names, and nothing is left
behind."""

import hashlib
import io
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import ExifTags, Image

from galleries.models import Photo
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.images import SERIAL_NUMBER, located_photo_bytes

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("strip_photo_metadata", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _stored_as_before_stripping(photo, content: bytes) -> Photo:
    """The photo's original as it was stored before ingest stripped it: as sent."""
    name = photo.original.name
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(content)) == name
    Photo.objects.filter(pk=photo.pk).update(content_hash=hashlib.sha256(content).hexdigest(), file_size=len(content))
    return Photo.objects.get(pk=photo.pk)


def _exif(photo) -> Image.Exif:
    with default_storage.open(photo.original.name, "rb") as fh, Image.open(io.BytesIO(fh.read())) as im:
        im.load()
        return im.getexif()


@pytest.mark.parametrize("any_storage", ["local", pytest.param("s3", marks=pytest.mark.s3)], indirect=True)
def test_it_takes_the_location_out_of_old_originals_and_leaves_nothing_behind(
    any_storage, django_capture_on_commit_callbacks
):
    gallery = make_gallery(slug="summer")
    organizers = _stored_as_before_stripping(upload_photo(gallery), located_photo_bytes(color=(10, 20, 30)))
    guests = upload_photo(gallery, filename="guest.jpg")
    Photo.objects.filter(pk=guests.pk).update(uploaded_by_guest=True, guest_name="Ann")
    guests = _stored_as_before_stripping(guests, located_photo_bytes(color=(200, 20, 30)))
    clean = upload_photo(gallery, filename="clean.jpg")
    before = {p.pk: (p.original.name, p.content_hash) for p in (organizers, guests, clean)}
    assert ExifTags.IFD.GPSInfo in _exif(organizers)

    with django_capture_on_commit_callbacks(execute=True):  # the old files go once the rows are committed
        assert "Took the personal metadata out of 2 original(s); 0 failed (of 3 looked at)." in _run("summer")

    for photo in (organizers, guests, clean):
        photo.refresh_from_db()
        exif = _exif(photo)
        assert ExifTags.IFD.GPSInfo not in exif
        with default_storage.open(photo.original.name, "rb") as fh:
            content = fh.read()
        assert photo.content_hash == hashlib.sha256(content).hexdigest() and photo.file_size == len(content)
    assert organizers.original.name != before[organizers.pk][0]
    assert _exif(organizers)[ExifTags.Base.Make] == "Apple"  # camera and copyright stay
    assert _exif(organizers).get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] == SERIAL_NUMBER
    assert ExifTags.Base.BodySerialNumber not in _exif(guests).get_ifd(ExifTags.IFD.Exif)  # a guest's: the rest too
    assert (clean.original.name, clean.content_hash) == before[clean.pk]
    # The old originals are gone, and nothing else is stored than the photos' files.
    assert any_storage() == sorted(n for p in Photo.objects.all() for n in p.stored_names)
    assert "Took the personal metadata out of 0 original(s)" in _run("summer")


def test_a_photo_it_cannot_edit_is_named_with_the_reason_and_the_others_are_edited():
    gallery = make_gallery(slug="summer")
    located = located_photo_bytes()
    old = _stored_as_before_stripping(upload_photo(gallery), located)
    # The same photo sent again since: stored stripped, so the old one's edit would be its duplicate.
    upload_photo(gallery, content=located, filename="again.jpg")
    missing = upload_photo(gallery, filename="missing.jpg")
    default_storage.delete(missing.original.name)
    fine = _stored_as_before_stripping(upload_photo(gallery, filename="fine.jpg"), located_photo_bytes(color=(1, 2, 3)))
    out = StringIO()

    with pytest.raises(CommandError, match="2 original"):
        call_command("strip_photo_metadata", stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "Took the personal metadata out of 1 original(s); 2 failed (of 4 looked at)." in text
    assert f"summer/IMG_0001.jpg ({old.key}): Already in this gallery (as again.jpg)." in text
    assert f"summer/missing.jpg ({missing.key}): FileNotFoundError" in text
    assert Photo.objects.get(pk=old.pk).original.name == old.original.name  # left as it was
    assert ExifTags.IFD.GPSInfo not in _exif(Photo.objects.get(pk=fine.pk))


def test_an_unknown_gallery_is_an_error():
    with pytest.raises(CommandError, match="No gallery with the slug 'nope'"):
        _run("nope")
