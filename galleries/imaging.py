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
  and structure are checked (image_structure: check_structure, check_png's chunks
  and CRCs, check_tiff_strips), and the worker, which decodes it to make the derivatives, fails the
  photo with the reason if its data is damaged (a failed photo is never shown).
- An organizer's upload is decoded as well when that takes at most
  DECODE_IN_REQUEST_MAX_BYTES (JPEG at 1/8 scale: libjpeg still reads every byte),
  within a turn of the process's decode budget (galleries/decoding.py); a larger one,
  or one that gets no turn at once, is checked as a guest's is.
- PNG: never decoded. Every chunk is read in pieces, the image data inflated a
  megabyte at a time (for an organizer's upload): zlib checks its own checksum, and
  the rows must add up to the image's size, each starting with a valid filter byte
  (image_structure.check_png).

Decodes for an answer in the web process (open_upright_rgb with bounded=True: selfies,
compare and detect) take a turn of the decode budget too, their cost estimated from
the header (image_headers.decode_cost); a JPEG is decoded at the smallest DCT scale that still gives
the size asked for (draft mode).

Beside this module: image_headers.py (the decode cost and the EXIF readers, from the
header), image_structure.py (whether the file is whole, without decoding it) and
image_modes.py (decoded images brought to modes that resample and that a JPEG holds).
The messages of ImageRejected are for people (guests among them) and translated.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import pillow_heif
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from PIL import ExifTags, Image, ImageFilter, UnidentifiedImageError

from galleries import decoding, image_modes, watermark
from galleries.image_headers import (
    decode_cost,
    exif_from_png_chunk,
    exif_text,
    mpo_parts,
    orientation,
    read_exif,
    taken_at,
)
from galleries.image_structure import (
    Damaged,
    check_png,
    check_structure,
    check_tiff_strips,
    exception_reason,
    webp_size,
)

pillow_heif.register_heif_opener()

# MPO is what Pillow calls the JPEGs of cameras that append a preview or a
# second (stereo) frame; to a person it is a JPEG. Pillow's JPEG opener makes
# them, so MPO is not an opener of its own.
ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "GIF", "TIFF")
_OPENERS = ("JPEG", "PNG", "WEBP", "HEIF", "GIF", "TIFF")

NOT_AN_IMAGE = gettext_lazy("This file is not an image Eventgallery can read (JPEG, PNG, WebP, HEIC, GIF or TIFF).")

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
                try:
                    exif_chunk = check_png(fileobj, im.size, inflate=decode)
                except Damaged as exc:
                    raise _damaged(str(exc)) from exc
                # Not im.getexif(): for a PNG without EXIF before its image data,
                # Pillow decodes the whole image to look for it after.
                exif = exif_from_png_chunk(exif_chunk or im.info.get("exif"))
            else:
                if not (decode and _decoded_in_request(im)):
                    _check_structure(fileobj, im)
                exif = read_exif(im)
    finally:
        fileobj.seek(0)

    turned = orientation(exif) in (5, 6, 7, 8)
    width, height = (stored_height, stored_width) if turned else (stored_width, stored_height)
    return ImageInfo(
        format=image_format,
        width=width,
        height=height,
        taken_at=taken_at(exif),
        camera_make=exif_text(exif, ExifTags.Base.Make),
        camera_model=exif_text(exif, ExifTags.Base.Model),
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
    # read_exif and a damaged image then taken as whole.
    return _TRANSPOSE_FOR_ORIENTATION.get(orientation(read_exif(im)))


def _decoded_rgb(im: Image.Image, size: tuple[int, int], icc_profile: bytes | None) -> Image.Image:
    _load(im)
    try:
        image = _resize(image_modes.prepare_for_resize(im), size, DISPLAY_FILTER)
        image, _ = image_modes.to_output_mode(image, icc_profile)
    except Exception as exc:
        raise _unprocessable(exc) from exc
    return image


def _too_large_to_decode(im: Image.Image, stored_size: tuple[int, int], cost: int) -> ImageTooLarge:
    stored_pixels = stored_size[0] * stored_size[1]
    most = stored_pixels * decoding.budget_bytes() // max(cost, 1)
    name = {"HEIF": "HEIC", "MPO": "JPEG", "WEBP": "WebP"}.get(im.format or "", im.format or "image")
    return ImageTooLarge(
        gettext("This image is too large: %(megapixels)s megapixels, at most %(most)s for a %(format)s here.")
        % {"megapixels": _megapixels(stored_pixels), "most": _megapixels_floor(most), "format": name}
    )


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
        try:
            check_tiff_strips(fileobj, im.tag_v2)  # type: ignore[attr-defined]
        except Damaged as exc:
            raise _damaged(str(exc)) from exc
        return
    try:
        check_structure(fileobj, im.format or "", parts=mpo_parts(im))
    except Damaged as exc:
        raise _damaged(str(exc)) from exc
    except Exception as exc:
        raise _damaged(exception_reason(exc)) from exc


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
            display = image_modes.prepare_for_resize(im)
            display = _resize(display, display_size, DISPLAY_FILTER)
            display, icc_profile = image_modes.to_output_mode(display, icc_profile)
        except Exception as exc:
            raise _unprocessable(exc) from exc
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
        return ImageTooLarge(gettext("This image is too large: at most %(limit)s megapixels.") % {"limit": limit})
    return ImageTooLarge(
        gettext("This image is too large: %(megapixels)s megapixels, at most %(limit)s.")
        % {"megapixels": _megapixels(pixels), "limit": limit}
    )


def _damaged(reason: str) -> ImageRejected:
    return ImageRejected(gettext("The file is damaged or incomplete (%(reason)s).") % {"reason": reason})


def _unprocessable(exc: Exception) -> ImageRejected:
    return ImageRejected(
        gettext("Eventgallery could not process this image (%(reason)s).") % {"reason": exception_reason(exc)}
    )


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
            raise ImageRejected(str(NOT_AN_IMAGE)) from exc
        reason = gettext("it starts like a %(format)s file but the rest cannot be read") % {"format": claimed_format}
        raise _damaged(reason) from exc
    except Exception as exc:
        # Parsers of hostile input fail in many ways (OSError, ValueError,
        # struct.error, EOFError, ...) once they have recognised their format.
        raise _damaged(exception_reason(exc)) from exc

    # No im.close() on refusal: it would close the caller's file as well.
    width, height = im.size
    if im.format not in ALLOWED_FORMATS or width < 1 or height < 1:
        raise ImageRejected(str(NOT_AN_IMAGE))
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
            raise _damaged(exception_reason(exc)) from exc


def _load(im: Image.Image) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
    except Image.DecompressionBombError as exc:
        raise _too_large(_bomb_pixels(exc), _max_pixels()) from exc
    except Exception as exc:
        raise _damaged(exception_reason(exc)) from exc


# --- Sizes and the JPEGs written ------------------------------------------------------


def _fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """`size` scaled so its long edge is `long_edge`; never larger than `size`."""
    width, height = size
    if max(width, height) <= long_edge:
        return width, height
    scale = long_edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(im: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    if im.size == size:
        return im
    # reducing_gap=2.0 box-reduces by whole factors first when the image is
    # more than twice too large, then resamples the last stretch with `resample`.
    return im.resize(size, resample, reducing_gap=2.0)


def _derivative(
    kind: str, im: Image.Image, quality: int, icc_profile: bytes | None, *, compact: bool = False
) -> Derivative:
    """`compact`: progressive, with optimized Huffman tables: 5-8 % smaller, and cheap on a small image."""
    buffer = io.BytesIO()
    # Fresh info so nothing from the original (EXIF, comments, XMP) rides along.
    im.info = {}
    im.save(buffer, "JPEG", quality=quality, exif=b"", icc_profile=icc_profile, optimize=compact, progressive=compact)
    return Derivative(kind=kind, content=buffer.getvalue(), width=im.width, height=im.height)
