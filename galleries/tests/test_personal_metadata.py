"""Originals lose their location at ingest, a guest's also the rest of what names a
person or a device (galleries/metadata.py), without the image being encoded again;
derivatives carry no metadata at all."""

import io
import struct

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import ExifTags, Image

from galleries.metadata import strip_personal_metadata
from galleries.services.photos import DuplicatePhoto, photo_create, upload_hash_and_size
from galleries.services.processing import photo_process
from galleries.tests.factories import make_gallery
from galleries.tests.images import SERIAL_NUMBER, jpeg_bytes, located_photo_bytes, photo, private_exif_bytes

FORMATS = ["JPEG", "HEIF", "PNG", "WEBP", "TIFF"]


def _exif(content: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(content)) as im:
        im.load()
        return im.getexif()


def _latitude_bytes() -> list[bytes]:
    """The position's rationals as a TIFF stores them, in either byte order."""
    numbers = [(52, 1), (31, 1), (25, 2)]
    return [b"".join(struct.pack(f"{order}II", *n) for n in numbers) for order in "<>"]


def _read(photo, field="original") -> bytes:
    with default_storage.open(getattr(photo, field).name, "rb") as fh:
        return fh.read()


def _pixels(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as im:
        return im.convert("RGB").tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_takes_the_location_out_of_an_organizers_photo_and_keeps_camera_and_copyright(fmt):
    content = located_photo_bytes(fmt)
    assert ExifTags.IFD.GPSInfo in _exif(content)

    stripped = strip_personal_metadata(ContentFile(content, name="a"), guest=False).read()

    exif = _exif(stripped)
    assert ExifTags.IFD.GPSInfo not in exif
    assert not any(latitude in stripped for latitude in _latitude_bytes())
    assert exif[ExifTags.Base.Make] == "Apple" and exif[ExifTags.Base.Copyright] == "(c) Jane Guest"
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] == SERIAL_NUMBER
    # Lossless: the same length, the same pixels.
    assert len(stripped) == len(content)
    assert _pixels(stripped) == _pixels(content)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_takes_the_owner_serial_number_and_maker_note_out_of_a_guests_photo(fmt):
    content = located_photo_bytes(fmt)

    stripped = strip_personal_metadata(ContentFile(content, name="a"), guest=True).read()

    exif = _exif(stripped)
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    assert ExifTags.IFD.GPSInfo not in exif
    assert ExifTags.Base.Artist not in exif
    assert ExifTags.Base.BodySerialNumber not in exif_ifd and ExifTags.Base.MakerNote not in exif_ifd
    assert SERIAL_NUMBER.encode() not in stripped and b"Jane Guest\x00" not in stripped.replace(b"(c) Jane", b"")
    assert b"Apple iOS" not in stripped
    assert exif[ExifTags.Base.Model] == "iPhone 15"
    assert exif_ifd[ExifTags.Base.DateTimeOriginal] == "2026:06:13 17:30:00"
    assert _pixels(stripped) == _pixels(content)


def test_it_blanks_an_xmp_packet_that_names_the_position():
    content = located_photo_bytes("JPEG")
    assert b"GPSLatitude" in content

    stripped = strip_personal_metadata(ContentFile(content, name="a"), guest=False).read()

    assert b"GPSLatitude" not in stripped and b"52,31.208N" not in stripped


def test_a_photo_without_location_and_a_file_that_is_no_image_are_left_as_they_are():
    plain = ContentFile(jpeg_bytes(make="Canon", model="EOS R6"), name="a.jpg")
    junk = ContentFile(b"not an image at all", name="b")

    assert strip_personal_metadata(plain, guest=False) is plain
    assert strip_personal_metadata(junk, guest=True) is junk


@pytest.mark.parametrize("fmt", ["JPEG", "HEIF"])
def test_the_stored_original_and_its_derivatives_carry_no_location(db, fmt):
    gallery = make_gallery()
    content = located_photo_bytes(fmt)

    photo = photo_create(
        gallery=gallery, upload=ContentFile(content, name="IMG.x"), filename="IMG_0001", guest_name="Ann"
    )
    photo = photo_process(photo_id=photo.pk)

    original = _read(photo)
    assert ExifTags.IFD.GPSInfo not in _exif(original)
    assert not any(latitude in original for latitude in _latitude_bytes())
    assert photo.content_hash == upload_hash_and_size(upload=ContentFile(original))[0]
    assert photo.camera_model == "iPhone 15"
    for field in ("thumbnail", "middle", "display"):
        derivative = _read(photo, field)
        assert not _exif(derivative), field
        assert b"GPS" not in derivative and b"Exif" not in derivative, field


def test_the_same_located_photo_sent_twice_is_a_duplicate(db):
    gallery = make_gallery()
    content = located_photo_bytes("JPEG")
    photo_create(gallery=gallery, upload=ContentFile(content, name="a.jpg"), filename="a.jpg")

    with pytest.raises(DuplicatePhoto):
        photo_create(gallery=gallery, upload=ContentFile(content, name="b.jpg"), filename="b.jpg")


def test_each_image_of_an_mpo_loses_its_location():
    frames = [photo(640, 480, color=(200, 80, 40)), photo(160, 120, color=(0, 0, 0))]
    frames[1].encoderinfo = {"exif": private_exif_bytes()}
    buffer = io.BytesIO()
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:], exif=private_exif_bytes())
    content = buffer.getvalue()
    # The second image carries the position too, after the first one's data.
    second = content.index(b"\xff\xd8", 2)
    assert any(latitude in content[second:] for latitude in _latitude_bytes())

    stripped = strip_personal_metadata(ContentFile(content, name="a"), guest=False).read()

    assert not any(latitude in stripped for latitude in _latitude_bytes())
    assert _pixels(stripped) == _pixels(content)
