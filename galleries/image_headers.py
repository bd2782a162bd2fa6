"""What an opened image's header says, read before (or without) decoding its pixels.

Used by galleries.imaging, on an image Pillow opened lazily (its size, mode and format
known, no pixel decoded):

- `decode_cost`: the peak memory a decode will take (its pixels as Pillow holds them,
  what the format's decoder holds beside them, a progressive JPEG's coefficients),
  which the upload check and the web process's decode budget (galleries/decoding.py)
  weigh before any pixel is decoded.
- the EXIF readers: `read_exif`, `orientation`, `taken_at`, `exif_text`, and
  `exif_from_png_chunk` for a PNG's eXIf chunk (read from the file by
  image_structure.check_png, never by Pillow, which would decode the whole image to
  look for it). Broken EXIF never costs a photo: each reader answers None, "" or 1
  (upright) rather than fail.
- `mpo_parts`: where an MPO's other images lie, for image_structure.check_structure.

Pure functions: no models, no storage, nothing decoded.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image
from PIL.JpegImagePlugin import get_sampling

# Bytes per decoded pixel that a format's decoder holds beside Pillow's image, from the
# peaks measured in bench/README.md ("Upload check ... and selfies"): libwebp's canvas
# and its copy of the previous frame, then the frame as bytes Pillow copies it out of
# (a 25 MP WebP selfie peaked at 16 bytes a pixel in all); libheif's image (a 12 MP
# HEIC at 8 in all). The estimates stay above the peaks.
_DECODER_BYTES_PER_PIXEL = {"WEBP": 12, "HEIF": 2}
# A decode for an answer brings the image to a mode it can resample (RGBA at most).
_CONVERSION_BYTES_PER_PIXEL = 4

_DATETIME_RE = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def decode_cost(im: Image.Image, *, stored_size: tuple[int, int], converted: bool = False) -> int:
    """Estimated peak bytes of decoding `im` (opened and drafted, not loaded): its pixels
    as Pillow holds them, what its decoder holds beside them, a progressive JPEG's
    coefficients (kept at full size whatever the scale), and with `converted` a copy
    in a mode that can be resampled."""
    pixels = im.width * im.height
    cost = _decoded_bytes(im) + pixels * _DECODER_BYTES_PER_PIXEL.get(im.format or "", 0)
    if converted:
        cost += pixels * _CONVERSION_BYTES_PER_PIXEL
    if im.format in ("JPEG", "MPO") and im.info.get("progressive"):
        cost += round(stored_size[0] * stored_size[1] * _jpeg_coefficient_bytes_per_pixel(im))
    return cost


def _jpeg_coefficient_bytes_per_pixel(im: Image.Image) -> float:
    """libjpeg keeps a progressive JPEG's DCT coefficients for the whole image, 2 bytes
    each, the chroma ones subsampled (24 MP at 4:2:0: 72 MB, measured 70)."""
    layers = getattr(im, "layers", 0) or len(im.getbands())
    sampling = get_sampling(im)
    if layers == 3 and sampling in (0, 1, 2):
        return 2 * (1 + 2 / (1, 2, 4)[sampling])
    return 2.0 * max(layers, 1)


def mpo_parts(im: Image.Image) -> list[tuple[int, int]]:
    """(offset, size) of an MPO's images after the first, as its index names them."""
    if im.format != "MPO":
        return []
    entries = (getattr(im, "mpinfo", None) or {}).get(0xB002) or []
    # Pillow's own offsets of the images (their DataOffset counts from the MP header).
    offsets = getattr(im, "_MpoImageFile__mpoffsets", None) or []
    return [(offset, entry["Size"]) for offset, entry in zip(offsets, entries, strict=False)][1:]


def exif_from_png_chunk(data: bytes | None) -> Image.Exif | None:
    if not data:
        return None
    exif = Image.Exif()
    try:
        exif.load(data if data.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + data)
    except Exception:
        return None
    return exif


def _decoded_bytes(im: Image.Image) -> int:
    """Bytes of memory Pillow needs for the decoded image."""
    band_bytes = 2 if im.mode.startswith("I;16") else 4 if im.mode in ("I", "F") else 1
    return im.width * im.height * max(len(im.getbands()), 1) * band_bytes


def read_exif(im: Image.Image) -> Image.Exif | None:
    # Broken EXIF is common (editors, old cameras) and must not cost a photo.
    try:
        return im.getexif()
    except Exception:
        return None


def _exif_value(exif: Image.Exif | None, tag: int, ifd: int | None = None) -> object:
    if exif is None:
        return None
    try:
        return (exif.get_ifd(ifd) if ifd is not None else exif).get(tag)
    except Exception:
        return None


def exif_text(exif: Image.Exif | None, tag: int, ifd: int | None = None) -> str:
    value = _exif_value(exif, tag, ifd)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()


def orientation(exif: Image.Exif | None) -> int:
    value = _exif_value(exif, ExifTags.Base.Orientation)
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 8 else 1


def taken_at(exif: Image.Exif | None) -> datetime | None:
    original = _parse_exif_datetime(
        exif_text(exif, ExifTags.Base.DateTimeOriginal, ExifTags.IFD.Exif),
        exif_text(exif, ExifTags.Base.OffsetTimeOriginal, ExifTags.IFD.Exif),
    )
    if original is not None:
        return original
    return _parse_exif_datetime(
        exif_text(exif, ExifTags.Base.DateTime),
        exif_text(exif, ExifTags.Base.OffsetTime, ExifTags.IFD.Exif),
    )


def _parse_exif_datetime(text: str, offset: str) -> datetime | None:
    match = _DATETIME_RE.match(text)
    if match is None:
        return None
    try:
        # Cameras without a set clock write "0000:00:00 00:00:00".
        local = datetime(*(int(part) for part in match.groups()))  # type: ignore[misc]
    except ValueError:
        return None
    offset_match = _OFFSET_RE.match(offset)
    if offset_match is None:
        return local
    sign, hours, minutes = offset_match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    try:
        return local.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    except ValueError:
        return local
