"""Builders of real encoded images for tests, made in memory with Pillow and pillow-heif."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageDraw

pillow_heif.register_heif_opener()

Color = tuple[int, ...] | int

# Drawn in the stored top-left corner so tests can tell which way up an image ends up.
MARKER_COLOR = (0, 0, 255)


def exif_bytes(
    *,
    orientation: int | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
    make: str | None = None,
    model: str | None = None,
    modified_at: datetime | str | None = None,
) -> bytes:
    """EXIF as cameras write it: Make/Model/Orientation/DateTime in IFD0, DateTimeOriginal in the Exif IFD."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if make is not None:
        exif[ExifTags.Base.Make] = make
    if model is not None:
        exif[ExifTags.Base.Model] = model
    if modified_at is not None:
        exif[ExifTags.Base.DateTime] = _exif_datetime(modified_at)
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    if taken_at is not None:
        exif_ifd[ExifTags.Base.DateTimeOriginal] = _exif_datetime(taken_at)
    if offset is not None:
        exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    return exif.tobytes()


def photo(
    width: int = 640, height: int = 480, *, color: Color = (200, 80, 40), mode: str = "RGB", marker: bool = False
) -> Image.Image:
    """A flat image in `color`, optionally with a MARKER_COLOR block in its top-left quarter."""
    im = Image.new(mode, (width, height), color)
    if marker:
        ImageDraw.Draw(im).rectangle((0, 0, width // 4 - 1, height // 4 - 1), fill=_marker_for(mode))
    return im


def jpeg_bytes(
    width: int = 640,
    height: int = 480,
    *,
    orientation: int | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
    make: str | None = None,
    model: str | None = None,
    modified_at: datetime | str | None = None,
    color: Color = (200, 80, 40),
    mode: str = "RGB",
    marker: bool = False,
    quality: int = 90,
    icc_profile: bytes | None = None,
    progressive: bool = False,
) -> bytes:
    """A JPEG; mode="CMYK" or "L" for those kinds, the EXIF arguments for camera metadata."""
    im = photo(width, height, color=color, mode=mode, marker=marker)
    exif = exif_bytes(
        orientation=orientation, taken_at=taken_at, offset=offset, make=make, model=model, modified_at=modified_at
    )
    options: dict[str, object] = {"quality": quality, "exif": exif, "progressive": progressive}
    if icc_profile is not None:
        options["icc_profile"] = icc_profile
    return _encode(im, "JPEG", **options)


def cmyk_jpeg_bytes(width: int = 640, height: int = 480, *, color: Color = (0, 255, 255, 0)) -> bytes:
    """A CMYK JPEG as print workflows export them; the default colour is pure red."""
    return jpeg_bytes(width, height, mode="CMYK", color=color)


def png_bytes(
    width: int = 320,
    height: int = 240,
    *,
    mode: str = "RGB",
    color: Color = (200, 80, 40),
    transparency: Color | None = None,
    marker: bool = False,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
) -> bytes:
    """A PNG in any mode Pillow writes: "RGBA", "LA", "L", "1", "P", "I;16" (16-bit grey), ...

    For "P", `color` is a palette index into a palette whose entry 1 is red;
    `transparency` is the PNG tRNS value (palette index, grey level or colour).
    """
    if mode == "P":
        im = Image.new("P", (width, height), color)
        im.putpalette([255, 255, 255, 255, 0, 0] + [0, 0, 0] * 254)
    else:
        im = photo(width, height, color=color, mode=mode, marker=marker)
    options: dict[str, object] = {}
    if transparency is not None:
        options["transparency"] = transparency
    if exif is not None:
        options["exif"] = exif
    if icc_profile is not None:
        options["icc_profile"] = icc_profile
    return _encode(im, "PNG", **options)


def rgba_png_bytes(width: int = 320, height: int = 240, *, color: Color = (255, 0, 0, 128)) -> bytes:
    """A PNG with an alpha channel; the default is red at half opacity."""
    return png_bytes(width, height, mode="RGBA", color=color)


def png16_bytes(width: int = 320, height: int = 240, *, level: int = 0x8000) -> bytes:
    """A 16-bit greyscale PNG; the default level is mid grey (0x8000 of 0xFFFF)."""
    return png_bytes(width, height, mode="I;16", color=level)


def webp_bytes(width: int = 320, height: int = 240, *, mode: str = "RGB", color: Color = (200, 80, 40)) -> bytes:
    return _encode(photo(width, height, color=color, mode=mode), "WEBP", quality=90, lossless=mode == "RGBA")


def gif_bytes(width: int = 160, height: int = 120, *, frames: tuple[Color, ...] = ((255, 0, 0), (0, 255, 0))) -> bytes:
    """A GIF, animated when given several frame colours."""
    images = [photo(width, height, color=color).convert("P") for color in frames]
    return _encode(images[0], "GIF", save_all=len(images) > 1, append_images=images[1:], duration=100, loop=0)


def tiff_bytes(width: int = 320, height: int = 240, *, mode: str = "RGB", color: Color = (200, 80, 40)) -> bytes:
    return _encode(photo(width, height, color=color, mode=mode), "TIFF")


def bmp_bytes(width: int = 32, height: int = 24) -> bytes:
    """A valid image in a format Eventgallery does not accept."""
    return _encode(photo(width, height), "BMP")


def mpo_bytes(width: int = 640, height: int = 480, *, color: Color = (200, 80, 40)) -> bytes:
    """A two-frame MPO, what some cameras' .JPG files are."""
    first = photo(width, height, color=color)
    second = photo(width // 4, height // 4, color=(0, 0, 0))
    return _encode(first, "MPO", save_all=True, append_images=[second], quality=90)


def heic_bytes(
    width: int = 640,
    height: int = 480,
    *,
    orientation: int | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
    make: str | None = None,
    model: str | None = None,
    color: Color = (200, 80, 40),
    marker: bool = False,
) -> bytes:
    """A HEIC like an iPhone's; pillow-heif stores EXIF orientation as an irot/imir transform."""
    im = photo(width, height, color=color, marker=marker)
    exif = exif_bytes(orientation=orientation, taken_at=taken_at, offset=offset, make=make, model=model)
    return _encode(im, "HEIF", quality=90, exif=exif)


def srgb_icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def huge_png_bytes(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit black PNG of `width` x `height`: a few dozen KB that decode to width*height pixels.

    Written by hand so the test never holds the decoded image in memory.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row) for _ in range(height)]
    data = b"".join(chunks) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _marker_for(mode: str) -> Color:
    if mode == "CMYK":
        return (255, 255, 0, 0)
    if mode in ("L", "1"):
        return 0
    if mode == "RGBA":
        return (*MARKER_COLOR, 255)
    return MARKER_COLOR


def _exif_datetime(value: datetime | str) -> str:
    return value.strftime("%Y:%m:%d %H:%M:%S") if isinstance(value, datetime) else value


def _encode(im: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, image_format, **options)
    return buffer.getvalue()


# Where the photos of private_exif_bytes() were "taken": 52°31'12.5"N 13°24'1"E.
GPS_LATITUDE = (52.0, 31.0, 12.5)
GPS_LONGITUDE = (13.0, 24.0, 1.0)
SERIAL_NUMBER = "SN-4815162342"


def private_exif_bytes(*, make: str = "Apple", model: str = "iPhone 15") -> bytes:
    """EXIF as a phone writes it, with what must not reach guests: a GPS position, the
    owner's name, a serial number and a maker note; and what may: camera, copyright,
    orientation and date."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Artist] = "Jane Guest"
    exif[ExifTags.Base.Copyright] = "(c) Jane Guest"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2026:06:13 17:30:00"
    exif_ifd[ExifTags.Base.BodySerialNumber] = SERIAL_NUMBER
    exif_ifd[ExifTags.Base.MakerNote] = b"Apple iOS\x00" + bytes(range(256)) * 4
    return exif.tobytes()


def located_photo_bytes(fmt: str = "JPEG", *, color: Color = (30, 120, 200), xmp: bool = True, **size) -> bytes:
    """A photo in `fmt` (JPEG, HEIF, PNG, WEBP, TIFF) carrying private_exif_bytes(), and in
    a JPEG an XMP packet that names the position again."""
    buffer = io.BytesIO()
    options = {"exif": private_exif_bytes()}
    if fmt == "JPEG" and xmp:
        options["xmp"] = (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.208N"/>'
            b"</rdf:RDF></x:xmpmeta>"
        )
    photo(size.get("width", 640), size.get("height", 480), color=color, marker=True).save(buffer, fmt, **options)
    return buffer.getvalue()
