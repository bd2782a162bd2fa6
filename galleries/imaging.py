"""Image checks and derivatives for uploaded photos.

Pure functions over file objects: no models, no storage. `inspect_image` runs
at upload time, in the web process: it must stay fast and its memory bounded,
whatever the image's size (150 MB above idle for a 144 MP PNG, bench/README.md).
`make_derivatives` runs in the background (one decode for the three sizes) and must stay within 1.25x of pyvips.

Every image's size is read from its header and checked against the route's limit
before any pixel is decoded (PHOTO_MAX_PIXELS for originals, SELFIE_MAX_PIXELS for
selfies): by Pillow's lazy opener, and for WebP, whose opener allocates the whole
canvas, by image_structure.webp_size first.

How the upload check proves a file whole:
- A guest's upload (decode=False) is never decoded in the web process: its header
  and structure are checked (image_structure.check_structure; PNG chunks and CRCs,
  TIFF strips), and the worker, which decodes it to make the derivatives, fails the
  photo with the reason if its data is damaged (a failed photo is never shown).
- An organizer's upload is decoded as well when that takes at most
  DECODE_IN_REQUEST_MAX_BYTES (JPEG at 1/8 scale: libjpeg still reads every byte),
  within a turn of the process's decode budget (galleries/decoding.py); a larger one,
  or one that gets no turn at once, is checked as a guest's is.
- PNG: never decoded. Every chunk is read in pieces, the image data inflated a
  megabyte at a time (for an organizer's upload): zlib checks its own checksum, and
  the rows must add up to the image's size, each starting with a valid filter byte.

Decodes for an answer in the web process (open_upright_rgb with bounded=True: selfies,
compare and detect) take a turn of the decode budget too, their cost estimated from
the header (decode_cost); a JPEG is decoded at the smallest DCT scale that still gives
the size asked for (draft mode).
"""

from __future__ import annotations

import functools
import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO

import pillow_heif
from django.conf import settings
from PIL import ExifTags, Image, ImageCms, ImageFilter, UnidentifiedImageError
from PIL.JpegImagePlugin import get_sampling

from galleries import decoding, watermark
from galleries.image_structure import Damaged, check_structure, webp_size

pillow_heif.register_heif_opener()

# MPO is what Pillow calls the JPEGs of cameras that append a preview or a
# second (stereo) frame; to a person it is a JPEG. Pillow's JPEG opener makes
# them, so MPO is not an opener of its own.
ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "GIF", "TIFF")
_OPENERS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF", "TIFF")

NOT_AN_IMAGE = "This file is not an image Eventgallery can read (JPEG, PNG, WebP, HEIC, GIF or TIFF)."

DISPLAY_QUALITY = 82
# The middle image is what a phone's grid loads, and it is always drawn smaller than it
# is (a 1024 px image covering a 543 px tile at 3x) or on a dense screen: quality 70,
# progressive and with optimized tables, weighs 0.70x of quality 82 and the difference
# does not show there (bench/README.md, "Phone bytes"). The encoding costs 12 ms.
MIDDLE_QUALITY = 70
THUMB_QUALITY = 80
# The big step (up to 2x after the JPEG draft) is the costliest part after
# decoding. With Lanczos or bicubic the pipeline measured up to 1.3x pyvips on
# a 24 MP photo; the Hamming window (antialiased, sharper than bilinear) costs
# about half as much and looks the same once encoded (bench/README.md).
DISPLAY_FILTER = Image.Resampling.HAMMING
# The middle step (1600 -> 1024, from the display image) costs 33 ms with Lanczos and
# 12 ms with Hamming; the middle image is always drawn smaller than it is, so Hamming.
MIDDLE_FILTER = Image.Resampling.HAMMING
# The thumb step is small (from the middle image), so it can afford the best filter.
THUMB_FILTER = Image.Resampling.LANCZOS

# The most memory (decode_cost) an organizer's upload check may decode in the web process; above, see the docstring.
DECODE_IN_REQUEST_MAX_BYTES = 64 * 1024 * 1024
# Bytes per decoded pixel that a format's decoder holds beside Pillow's image, from the
# peaks measured in bench/README.md ("Upload check ... and selfies"): libwebp's canvas
# and its copy of the previous frame, then the frame as bytes Pillow copies it out of
# (a 25 MP WebP selfie peaked at 16 bytes a pixel in all); libheif's image (a 12 MP
# HEIC at 8 in all). The estimates stay above the peaks.
_DECODER_BYTES_PER_PIXEL = {"WEBP": 12, "HEIF": 2}
# A decode for an answer brings the image to a mode it can resample (RGBA at most).
_CONVERSION_BYTES_PER_PIXEL = 4
# How much of a PNG's image data is read, and inflated, at a time.
_PNG_PIECE_BYTES = 1024 * 1024

_DATETIME_RE = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")
_PILLOW_BOMB_RE = re.compile(r"\((\d+) pixels\)")

_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRejected(Exception):
    """A file that cannot become a photo; str(exc) is a clear message for a person (admin, command output)."""


class ImageTooLarge(ImageRejected):
    """More pixels than the route takes, or than a web process may decode."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    taken_at: datetime | None
    camera_make: str
    camera_model: str


@dataclass(frozen=True)
class Derivative:
    kind: str
    content: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


def inspect_image(fileobj: IO[bytes], *, decode: bool = True) -> ImageInfo:
    """Check that `fileobj` is a photo we can process and read what it says about itself.

    `decode`: an organizer's upload, whose pixels may be decoded here too; a guest's
    (False) is checked from its header and structure only (the module's docstring).
    Raises ImageRejected, and nothing else, for any file that is not one.
    Leaves `fileobj` rewound.
    """
    try:
        with _open(fileobj) as im:
            stored_width, stored_height = im.size
            image_format = im.format or ""
            if image_format == "PNG":
                exif_chunk = _check_png(fileobj, im.size, inflate=decode)
                # Not im.getexif(): for a PNG without EXIF before its image data,
                # Pillow decodes the whole image to look for it after.
                exif = _exif_from_png_chunk(exif_chunk or im.info.get("exif"))
            else:
                if not (decode and _decoded_in_request(im)):
                    _check_structure(fileobj, im)
                exif = _read_exif(im)
    finally:
        fileobj.seek(0)

    orientation = _orientation(exif)
    width, height = (stored_height, stored_width) if orientation in (5, 6, 7, 8) else (stored_width, stored_height)
    return ImageInfo(
        format=image_format,
        width=width,
        height=height,
        taken_at=_taken_at(exif),
        camera_make=_exif_text(exif, ExifTags.Base.Make),
        camera_model=_exif_text(exif, ExifTags.Base.Model),
    )


def make_derivatives(
    fileobj: IO[bytes],
    *,
    mark: watermark.Mark | None = None,
    blur_boxes: Sequence[tuple[float, float, float, float]] = (),
) -> list[Derivative]:
    """Return [thumb, middle, display] JPEGs for the photo in `fileobj`, upright, without EXIF,
    with `mark` drawn on the middle and display images (the thumb is made before it).

    `blur_boxes` are faces to make unrecognisable in all three (left, top, width,
    height, as ratios of the upright photo: the face index's boxes): blurred in the
    display image, which the other two are made from.

    Raises ImageRejected for a file `inspect_image` would refuse. Leaves
    `fileobj` rewound and unmodified.
    """
    display, icc_profile = _upright_display(fileobj)
    for box in blur_boxes:
        display = blur_region(display, box)
    middle = _resize(display, _fit(display.size, settings.PHOTO_MIDDLE_SIZE), MIDDLE_FILTER)
    # The thumb comes from the middle image: resampling 0.7 MP is much cheaper than
    # going back to the original, and at 400 px the difference cannot be seen.
    thumb = _resize(middle, _fit(middle.size, settings.PHOTO_THUMB_SIZE), THUMB_FILTER)
    if mark is not None:
        middle, display = watermark.apply(middle, mark), watermark.apply(display, mark)
    return [
        _derivative("thumb", thumb, THUMB_QUALITY, icc_profile),
        _derivative("middle", middle, MIDDLE_QUALITY, icc_profile, compact=True),
        _derivative("display", display, DISPLAY_QUALITY, icc_profile),
    ]


# A face's box is enlarged by this much each way (of its width and height) before it is
# blurred: the detectors' boxes stop at the brows and the chin, and hair, ears and
# the outline of the head still tell who someone is.
BLUR_MARGIN = 0.35
# The face is first reduced to this many blocks across (pixelated), then blurred with
# a radius of this fraction of its width: together no feature survives, at any size.
BLUR_BLOCKS = 6
BLUR_RADIUS = 0.12


def blur_region(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """The image with the region of `box` (ratios of its size), enlarged by BLUR_MARGIN,
    pixelated and then blurred so strongly that the face in it cannot be recognised;
    every pixel outside the enlarged region is left as it was."""
    left, top, width, height = box
    region = (
        max(0, math.floor((left - BLUR_MARGIN * width) * image.width)),
        max(0, math.floor((top - BLUR_MARGIN * height) * image.height)),
        min(image.width, math.ceil((left + (1 + BLUR_MARGIN) * width) * image.width)),
        min(image.height, math.ceil((top + (1 + BLUR_MARGIN) * height) * image.height)),
    )
    region_width, region_height = region[2] - region[0], region[3] - region[1]
    if region_width < 1 or region_height < 1:
        return image
    image = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    face = image.crop(region)
    blocks = max(1, BLUR_BLOCKS)
    small = face.resize((blocks, max(1, round(blocks * region_height / region_width))), Image.Resampling.BOX)
    face = small.resize(face.size, Image.Resampling.NEAREST)
    face = face.filter(ImageFilter.GaussianBlur(max(2.0, BLUR_RADIUS * region_width)))
    image.paste(face, region[:2])
    return image


def make_middle_derivative(fileobj: IO[bytes]) -> Derivative:
    """The middle JPEG alone, for photos processed before it existed: made from the
    original, as make_derivatives makes it (the display image is not always there)."""
    display, icc_profile = _upright_display(fileobj)
    middle = _resize(display, _fit(display.size, settings.PHOTO_MIDDLE_SIZE), MIDDLE_FILTER)
    return _derivative("middle", middle, MIDDLE_QUALITY, icc_profile, compact=True)


def _upright_display(fileobj: IO[bytes]) -> tuple[Image.Image, bytes | None]:
    try:
        display, transpose, icc_profile = _display_image(fileobj, settings.PHOTO_DISPLAY_SIZE)
    finally:
        fileobj.seek(0)
    # Rotating after the downscale moves a fraction of the pixels.
    if transpose is not None:
        display = display.transpose(transpose)
    return display, icc_profile


def open_upright_rgb(
    fileobj: IO[bytes], *, long_edge: int | None = None, max_pixels: int | None = None, bounded: bool = False
) -> Image.Image:
    """The image upright and in RGB (transparency on white, CMYK and 16-bit converted),
    at full size or, when long_edge is given, at most that many pixels: what face
    engines read. Refuses what inspect_image refuses, with ImageRejected, and an image
    of more than `max_pixels` (PHOTO_MAX_PIXELS when None) with ImageTooLarge.

    `bounded`: the decode is for an answer of the web process, so it takes a turn of
    the process's decode budget (galleries/decoding.py): ImageTooLarge when its cost
    exceeds the whole budget, decoding.DecodeBusy when no turn comes in time.
    """
    try:
        with _open(fileobj, max_pixels=max_pixels) as im:
            icc_profile = im.info.get("icc_profile") or None
            stored_size = im.size
            size = _fit(im.size, long_edge) if long_edge else im.size
            _draft(im, size)
            if bounded:
                cost = decode_cost(im, stored_size=stored_size, converted=True)
                if not decoding.fits(cost):
                    raise _too_large_to_decode(im, stored_size, cost)
                with decoding.decode_turn(cost_bytes=cost):
                    image = _decoded_rgb(im, size, icc_profile)
            else:
                image = _decoded_rgb(im, size, icc_profile)
            transpose = _pending_transpose(im)
    finally:
        fileobj.seek(0)
    if transpose is not None:
        image = image.transpose(transpose)
    return image if image.mode == "RGB" else image.convert("RGB")


def _pending_transpose(im: Image.Image) -> Image.Transpose | None:
    # Read once the pixels are decoded: a PNG's EXIF may follow its image data, and
    # Pillow would decode the whole image to look for it, with a failure swallowed by
    # _read_exif and a damaged image then taken as whole.
    return _TRANSPOSE_FOR_ORIENTATION.get(_orientation(_read_exif(im)))


def _decoded_rgb(im: Image.Image, size: tuple[int, int], icc_profile: bytes | None) -> Image.Image:
    _load(im)
    try:
        image = _resize(_prepare_for_resize(im), size, DISPLAY_FILTER)
        image, _ = _to_output_mode(image, icc_profile)
    except Exception as exc:
        raise ImageRejected(f"Eventgallery could not process this image ({_reason(exc)}).") from exc
    return image


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


def _too_large_to_decode(im: Image.Image, stored_size: tuple[int, int], cost: int) -> ImageTooLarge:
    stored_pixels = stored_size[0] * stored_size[1]
    most = stored_pixels * decoding.budget_bytes() // max(cost, 1)
    name = {"HEIF": "HEIC", "MPO": "JPEG", "WEBP": "WebP"}.get(im.format or "", im.format or "image")
    return ImageTooLarge(
        f"This image is too large: {_megapixels(stored_pixels)} megapixels, "
        f"at most {_megapixels_floor(most)} for a {name} here."
    )


def _mpo_parts(im: Image.Image) -> list[tuple[int, int]]:
    """(offset, size) of an MPO's images after the first, as its index names them."""
    if im.format != "MPO":
        return []
    entries = (getattr(im, "mpinfo", None) or {}).get(0xB002) or []
    # Pillow's own offsets of the images (their DataOffset counts from the MP header).
    offsets = getattr(im, "_MpoImageFile__mpoffsets", None) or []
    return [(offset, entry["Size"]) for offset, entry in zip(offsets, entries, strict=False)][1:]


def _decoded_in_request(im: Image.Image) -> bool:
    """Decodes an organizer's upload to prove it whole, at 1/8 scale for JPEG (enough:
    libjpeg still reads every byte, so truncation is still noticed). False, without
    decoding, when that would cost more than DECODE_IN_REQUEST_MAX_BYTES or no decode
    turn comes in time: the worker then finds what is wrong."""
    stored_size = im.size
    _draft(im, (max(1, stored_size[0] // 8), max(1, stored_size[1] // 8)))
    cost = decode_cost(im, stored_size=stored_size)
    if cost > DECODE_IN_REQUEST_MAX_BYTES or not decoding.fits(cost):
        return False
    try:
        with decoding.decode_turn(cost_bytes=cost):
            _load(im)
    except decoding.DecodeBusy:
        return False
    return True


def _check_structure(fileobj: IO[bytes], im: Image.Image) -> None:
    if im.format == "TIFF":
        _check_tiff_structure(fileobj, im)
        return
    try:
        check_structure(fileobj, im.format or "", parts=_mpo_parts(im))
    except Damaged as exc:
        raise _damaged(str(exc)) from exc
    except Exception as exc:
        raise _damaged(_reason(exc)) from exc


def _display_image(fileobj: IO[bytes], long_edge: int) -> tuple[Image.Image, Image.Transpose | None, bytes | None]:
    """The photo at display size in stored orientation, its pending transpose and its ICC profile.

    A function of its own so the full decode is freed as soon as it returns.
    """
    with _open(fileobj) as im:
        icc_profile = im.info.get("icc_profile") or None
        display_size = _fit(im.size, long_edge)
        _decode(im, display_size)
        transpose = _pending_transpose(im)
        try:
            display = _prepare_for_resize(im)
            display = _resize(display, display_size, DISPLAY_FILTER)
            display, icc_profile = _to_output_mode(display, icc_profile)
        except Exception as exc:
            raise ImageRejected(f"Eventgallery could not process this image ({_reason(exc)}).") from exc
    return display, transpose, icc_profile


def _max_pixels(route_limit: int | None = None) -> int:
    limit = route_limit if route_limit is not None else int(getattr(settings, "PHOTO_MAX_PIXELS", 150_000_000))
    # Pillow refuses anything above twice its own limit before we get to look
    # at it; say so honestly rather than quote a limit that cannot be reached.
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, 2 * Image.MAX_IMAGE_PIXELS)
    return limit


def _megapixels(pixels: int) -> str:
    return f"{math.ceil(pixels / 100_000) / 10:g}"


def _megapixels_floor(pixels: int) -> str:
    return f"{math.floor(pixels / 100_000) / 10:g}"


def _too_large(pixels: int | None, limit_pixels: int) -> ImageTooLarge:
    limit = _megapixels(limit_pixels)
    if pixels is None:
        return ImageTooLarge(f"This image is too large: at most {limit} megapixels.")
    return ImageTooLarge(f"This image is too large: {_megapixels(pixels)} megapixels, at most {limit}.")


def _damaged(reason: str) -> ImageRejected:
    return ImageRejected(f"The file is damaged or incomplete ({reason}).")


def _claimed_format(fileobj: IO[bytes]) -> str | None:
    """The accepted format whose signature the file starts with, if any."""
    try:
        fileobj.seek(0)
        prefix = fileobj.read(16)
        for image_format in _OPENERS:
            _, accept = Image.OPEN[image_format]
            if accept is not None and accept(prefix):
                return "HEIC" if image_format == "HEIF" else image_format
    except Exception:
        pass
    return None


def _bomb_pixels(exc: Image.DecompressionBombError) -> int | None:
    match = _PILLOW_BOMB_RE.search(str(exc))
    return int(match.group(1)) if match else None


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _open(fileobj: IO[bytes], *, max_pixels: int | None = None) -> Image.Image:
    """Open lazily, refusing other formats and images of more than `max_pixels`
    (PHOTO_MAX_PIXELS when None) before any pixel is decoded."""
    limit = _max_pixels(max_pixels)
    try:
        fileobj.seek(0)
        # Pillow's WebP opener allocates the canvas: the size is checked before it runs.
        stated = webp_size(fileobj.read(30))
        if stated is not None and stated[0] * stated[1] > limit:
            raise _too_large(stated[0] * stated[1], limit)
        fileobj.seek(0)
        with warnings.catch_warnings():
            # Pillow warns above 89 MP; PHOTO_MAX_PIXELS, checked below, is the policy.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Only the parsers of formats we accept ever see an upload.
            im = Image.open(fileobj, formats=_OPENERS)
    except ImageTooLarge:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_large(_bomb_pixels(exc), limit) from exc
    except UnidentifiedImageError as exc:
        claimed_format = _claimed_format(fileobj)
        if claimed_format is None:
            raise ImageRejected(NOT_AN_IMAGE) from exc
        raise _damaged(f"it starts like a {claimed_format} file but the rest cannot be read") from exc
    except Exception as exc:
        # Parsers of hostile input fail in many ways (OSError, ValueError,
        # struct.error, EOFError, ...) once they have recognised their format.
        raise _damaged(_reason(exc)) from exc

    # No im.close() on refusal: it would close the caller's file as well.
    width, height = im.size
    if im.format not in ALLOWED_FORMATS or width < 1 or height < 1:
        raise ImageRejected(NOT_AN_IMAGE)
    if width * height > limit:
        raise _too_large(width * height, limit)
    return im


def _decode(im: Image.Image, size: tuple[int, int]) -> None:
    """Decode the pixels, for JPEG at the smallest DCT scale still at least `size`."""
    _draft(im, size)
    _load(im)


def _draft(im: Image.Image, size: tuple[int, int]) -> None:
    """For JPEG, choose the smallest DCT scale still at least `size` (nothing is decoded yet)."""
    if im.format in ("JPEG", "MPO"):
        try:
            im.draft("RGB", size)
        except Exception as exc:
            raise _damaged(_reason(exc)) from exc


def _load(im: Image.Image) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except Image.DecompressionBombError as exc:
        raise _too_large(_bomb_pixels(exc), _max_pixels()) from exc
    except Exception as exc:
        raise _damaged(_reason(exc)) from exc


# --- Checks of large images in bounded memory ----------------------------------------

# PNG colour type: samples per pixel.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 interlacing: each pass's first column and row, and its steps.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_MAX_FILTER = 4  # None, Sub, Up, Average, Paeth


def _check_png(fileobj: IO[bytes], size: tuple[int, int], *, inflate: bool = True) -> bytes | None:
    """Prove a PNG whole without decoding it: returns its eXIf chunk, if any.

    Reads every chunk to IEND, checks the CRC of the critical ones and (with `inflate`)
    inflates the image data in pieces: zlib verifies the stream and its Adler-32, and the
    inflated rows (per interlace pass) must fill the image, each opening with a filter
    byte of 0-4. Memory: a piece of the file and a megabyte of inflated rows at a time.
    """
    fileobj.seek(8)
    length, kind = _png_chunk_head(fileobj)
    if kind != b"IHDR" or length != 13:
        raise _damaged("its header is missing")
    header = _png_read(fileobj, 13)
    _png_check_crc(fileobj, kind, zlib.crc32(header, zlib.crc32(kind)))
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (width, height) != size or colour_type not in _PNG_CHANNELS:
        raise _damaged("its header is inconsistent")
    rows = _png_rows(width, height, _PNG_CHANNELS[colour_type] * bit_depth, interlaced=interlace == 1)
    data = _PngImageData(rows)
    exif = None
    has_image_data = False
    while True:
        length, kind = _png_chunk_head(fileobj)
        crc = zlib.crc32(kind)
        if kind == b"eXIf":
            exif = _png_read(fileobj, length)
            crc = zlib.crc32(exif, crc)
        else:
            remaining = length
            while remaining:
                piece = _png_read(fileobj, min(remaining, _PNG_PIECE_BYTES))
                remaining -= len(piece)
                crc = zlib.crc32(piece, crc)
                if kind == b"IDAT" and inflate:
                    data.feed(piece)
        has_image_data = has_image_data or kind == b"IDAT"
        if kind[:1].isupper():  # critical chunks; ancillary ones may be dropped, as libpng does
            _png_check_crc(fileobj, kind, crc)
        else:
            _png_read(fileobj, 4)
        if kind == b"IEND":
            break
    if inflate:
        data.finish()
    elif not has_image_data:
        raise _damaged("its image data is missing")
    return exif


def _png_rows(width: int, height: int, bits_per_pixel: int, *, interlaced: bool) -> list[tuple[int, int]]:
    """(row count, bytes per row with its filter byte) of each pass of the image data."""
    if not interlaced:
        return [(height, (width * bits_per_pixel + 7) // 8 + 1)]
    passes = []
    for x0, y0, dx, dy in _ADAM7:
        pass_width, pass_height = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if pass_width > 0 and pass_height > 0:
            passes.append((pass_height, (pass_width * bits_per_pixel + 7) // 8 + 1))
    return passes


class _PngImageData:
    """The inflated image data, checked as it comes and dropped."""

    def __init__(self, passes: list[tuple[int, int]]):
        self._passes = list(passes)
        self._inflater = zlib.decompressobj()
        self._offset = 0  # within the current pass

    def feed(self, compressed: bytes) -> None:
        try:
            rows = self._inflater.decompress(compressed, _PNG_PIECE_BYTES)
            self._take(rows)
            while self._inflater.unconsumed_tail:
                self._take(self._inflater.decompress(self._inflater.unconsumed_tail, _PNG_PIECE_BYTES))
        except zlib.error as exc:
            raise _damaged(f"its image data is corrupt: {_reason(exc)}") from exc

    def finish(self) -> None:
        # A stream that never reached its end is taken if every row came, as Pillow
        # and libpng take it; one that did end had its Adler-32 checked by zlib.
        if self._passes:
            raise _damaged("its image data ends early")

    def _take(self, rows: bytes) -> None:
        view = memoryview(rows)
        while view and self._passes:
            count, stride = self._passes[0]
            pass_bytes = count * stride
            piece = view[: pass_bytes - self._offset]
            # The filter bytes of the rows that start inside this piece.
            filters = piece[(-self._offset) % stride :: stride]
            if filters and max(filters) > _PNG_MAX_FILTER:
                raise _damaged("its image data is corrupt: a row has an unknown filter")
            self._offset += len(piece)
            view = view[len(piece) :]
            if self._offset == pass_bytes:
                self._passes.pop(0)
                self._offset = 0
        # Bytes after the last row are ignored, as decoders do.


def _png_chunk_head(fileobj: IO[bytes]) -> tuple[int, bytes]:
    length, kind = struct.unpack(">I4s", _png_read(fileobj, 8))
    if length > 0x7FFFFFFF or not kind.isalpha():
        raise _damaged("a chunk's header is not valid")
    return length, kind


def _png_check_crc(fileobj: IO[bytes], kind: bytes, crc: int) -> None:
    if struct.unpack(">I", _png_read(fileobj, 4))[0] != crc & 0xFFFFFFFF:
        raise _damaged(f"the checksum of its {kind.decode('ascii')} chunk does not match")


def _png_read(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) != size:
        raise _damaged("the file ends before the image does")
    return data


def _exif_from_png_chunk(data: bytes | None) -> Image.Exif | None:
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


def _check_tiff_structure(fileobj: IO[bytes], im: Image.Image) -> None:
    """Every strip or tile the TIFF names is there, within the file: what a cut-off
    file lacks. Its data is decoded later, by the worker."""
    tags = im.tag_v2  # type: ignore[attr-defined]
    offsets = tags.get(273) or tags.get(324)  # StripOffsets, or TileOffsets
    counts = tags.get(279) or tags.get(325)  # StripByteCounts, or TileByteCounts
    if isinstance(offsets, int):
        offsets = (offsets,)
    if isinstance(counts, int):
        counts = (counts,)
    if not offsets or not counts or len(offsets) != len(counts):
        raise _damaged("its image data is missing")
    file_size = fileobj.seek(0, io.SEEK_END)
    for offset, count in zip(offsets, counts, strict=True):
        if count <= 0 or offset + count > file_size:
            raise _damaged("the file ends before the image does")


def _read_exif(im: Image.Image) -> Image.Exif | None:
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


def _exif_text(exif: Image.Exif | None, tag: int, ifd: int | None = None) -> str:
    value = _exif_value(exif, tag, ifd)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()


def _orientation(exif: Image.Exif | None) -> int:
    value = _exif_value(exif, ExifTags.Base.Orientation)
    try:
        orientation = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1
    return orientation if 1 <= orientation <= 8 else 1


def _taken_at(exif: Image.Exif | None) -> datetime | None:
    original = _parse_exif_datetime(
        _exif_text(exif, ExifTags.Base.DateTimeOriginal, ExifTags.IFD.Exif),
        _exif_text(exif, ExifTags.Base.OffsetTimeOriginal, ExifTags.IFD.Exif),
    )
    if original is not None:
        return original
    return _parse_exif_datetime(
        _exif_text(exif, ExifTags.Base.DateTime),
        _exif_text(exif, ExifTags.Base.OffsetTime, ExifTags.IFD.Exif),
    )


def _parse_exif_datetime(text: str, offset: str) -> datetime | None:
    match = _DATETIME_RE.match(text)
    if match is None:
        return None
    try:
        # Cameras without a set clock write "0000:00:00 00:00:00".
        taken_at = datetime(*(int(part) for part in match.groups()))  # type: ignore[misc]
    except ValueError:
        return None
    offset_match = _OFFSET_RE.match(offset)
    if offset_match is None:
        return taken_at
    sign, hours, minutes = offset_match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    try:
        return taken_at.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    except ValueError:
        return taken_at


def _fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """`size` scaled so its long edge is `long_edge`; never larger than `size`."""
    width, height = size
    if max(width, height) <= long_edge:
        return width, height
    scale = long_edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _prepare_for_resize(im: Image.Image) -> Image.Image:
    """Bring modes that cannot be resampled well into L, LA, RGB, RGBA or CMYK."""
    mode = im.mode
    has_transparency = im.info.get("transparency") is not None
    if mode in ("L", "RGB") and not has_transparency or mode in ("LA", "RGBA", "CMYK"):
        return im
    if mode == "P":
        return im.convert("RGBA" if has_transparency else "RGB")
    if mode == "PA":
        return im.convert("RGBA")
    if mode in ("L", "RGB"):
        # A tRNS colour key: one grey level or colour that stands for transparent.
        return im.convert("LA" if mode == "L" else "RGBA")
    if mode == "1":
        return im.convert("L")
    if mode in ("La", "RGBa"):
        return im.convert(mode.upper())
    if mode.startswith("I") or mode == "F":
        return _to_8bit_grey(im)
    # YCbCr, LAB, HSV: rare outside TIFF.
    return im.convert("RGB")


def _to_8bit_grey(im: Image.Image) -> Image.Image:
    # convert("L") clips everything above 255 to white, so scale first.
    if im.mode.startswith("I;16"):
        peak = 65535.0
    else:
        _, high = im.getextrema()  # type: ignore[misc]
        if im.mode == "F" and high <= 1.0:
            peak = 1.0
        elif high <= 255:
            peak = 255.0
        elif high <= 65535:
            peak = 65535.0
        else:
            peak = float(high)
    if im.mode != "F":
        im = im.convert("I")
    scale = 255.0 / peak
    return im.point(lambda value: value * scale).convert("L")


def _resize(im: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    if im.size == size:
        return im
    # reducing_gap=2.0 box-reduces by whole factors first when the image is
    # more than twice too large, then resamples the last stretch with `resample`.
    return im.resize(size, resample, reducing_gap=2.0)


def _to_output_mode(im: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Return an L or RGB image for JPEG, and the ICC profile that still describes it."""
    if im.mode in ("LA", "RGBA"):
        flat = Image.new(im.mode[:-1], im.size, "white")
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    elif im.mode == "CMYK":
        return _cmyk_to_rgb(im, icc_profile), None
    elif im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    expected_space = b"GRAY" if im.mode == "L" else b"RGB "
    if icc_profile is not None and icc_profile[16:20] != expected_space:
        icc_profile = None
    return im, icc_profile


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _cmyk_to_rgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if icc_profile is not None and icc_profile[16:20] == b"CMYK":
        try:
            converted = ImageCms.profileToProfile(
                im,
                ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
                _srgb_profile(),
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile still leaves the naive conversion below
    return im.convert("RGB")


def _derivative(
    kind: str, im: Image.Image, quality: int, icc_profile: bytes | None, *, compact: bool = False
) -> Derivative:
    """`compact`: progressive, with optimized Huffman tables: 5-8 % smaller, and cheap on a small image."""
    buffer = io.BytesIO()
    # Fresh info so nothing from the original (EXIF, comments, XMP) rides along.
    im.info = {}
    im.save(buffer, "JPEG", quality=quality, exif=b"", icc_profile=icc_profile, optimize=compact, progressive=compact)
    return Derivative(kind=kind, content=buffer.getvalue(), width=im.width, height=im.height)
