"""A gallery's watermark, drawn onto a derivative: pure functions over PIL images.

Everything is sized relative to the image it is drawn on (the mark's box, the margin,
the text's outline), so the mark on the middle image is the display image's mark
scaled down, and a derivative made from a marked one carries the same mark.

The text is set in Pillow's own scalable font (`ImageFont.load_default(size=...)`,
Aileron, bundled with Pillow >= 10.1 built with FreeType): nothing depends on the
fonts of the machine. It is white with a dark outline, so it reads on light and dark
photos alike.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")
# Distance of a corner mark from the edges, as a share of the image's shorter side.
MARGIN = 0.03
# The outline's width, as a share of the text's size.
OUTLINE = 0.06
# What a logo may be: bigger files or images are refused before they are decoded.
LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000
# The logo is stored at most this large (PNG, with its transparency): the largest mark
# (60 % of a 1600 px display image) needs no more.
LOGO_STORED_EDGE = 1000
_LOGO_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# Text is measured at this size once, then set at the size that fills its box.
_MEASURE_SIZE = 100


class LogoRejected(Exception):
    """The file cannot be a watermark logo; str(exc) says why, for the organizer."""


@dataclass(frozen=True)
class Mark:
    """What to draw: `text`, or else `logo` (RGBA); `opacity` and `size` in percent,
    `size` being the share of the image's width and height the mark may fill."""

    text: str = ""
    logo: Image.Image | None = None
    position: str = "bottom-right"
    opacity: int = 60
    size: int = 20


def apply(image: Image.Image, mark: Mark) -> Image.Image:
    """A copy of `image` (L or RGB) with `mark` drawn on it; `image` is left as it is."""
    layer = _layer(mark, image.size)
    marked = image.copy()
    if layer is None:
        return marked
    # Pasting through its own alpha blends the layer over the photo, and only in its box.
    marked.paste(layer.convert(marked.mode), _place(mark.position, image.size, layer.size), layer.getchannel("A"))
    return marked


def _layer(mark: Mark, size: tuple[int, int]) -> Image.Image | None:
    """The mark as an RGBA image of its final size, its alpha scaled by the opacity."""
    box = (max(1, round(size[0] * mark.size / 100)), max(1, round(size[1] * mark.size / 100)))
    if mark.logo is not None:
        layer = _fit_logo(mark.logo, box)
    elif mark.text.strip():
        layer = _text_layer(mark.text.strip(), box)
    else:
        return None
    if mark.opacity < 100:
        alpha = layer.getchannel("A").point(lambda value: value * mark.opacity // 100)
        layer.putalpha(alpha)
    return layer


def _fit_logo(logo: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(box[0] / logo.width, box[1] / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    # Box-reduced by whole factors first, then resampled (bench/README.md, "Watermark"):
    # half the time of a reducing gap of 2 on a logo, which has no fine texture to lose.
    return logo.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)


def _text_layer(text: str, box: tuple[int, int]) -> Image.Image:
    # Measured with its outline, at one size, then set at the size that fills the box.
    left, top, right, bottom = _text_box(text, _MEASURE_SIZE)
    scale = min(box[0] / max(1, right - left), box[1] / max(1, bottom - top))
    font_size = max(4, int(_MEASURE_SIZE * scale))
    outline = max(1, round(font_size * OUTLINE))
    left, top, right, bottom = _text_box(text, font_size)
    layer = Image.new("RGBA", (right - left, bottom - top), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text(
        (-left, -top),
        text,
        font=_font(font_size),
        fill=(255, 255, 255, 255),
        stroke_width=outline,
        stroke_fill=(0, 0, 0, 255),
    )
    return layer


def _text_box(text: str, font_size: int) -> tuple[int, int, int, int]:
    outline = max(1, round(font_size * OUTLINE))
    left, top, right, bottom = _font(font_size).getbbox(text, stroke_width=outline)
    return int(left), int(top), max(int(right), int(left) + 1), max(int(bottom), int(top) + 1)


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _place(position: str, size: tuple[int, int], mark_size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    mark_width, mark_height = mark_size
    margin = round(min(width, height) * MARGIN)
    if position == "centre":
        return (width - mark_width) // 2, (height - mark_height) // 2
    x = margin if position.endswith("left") else width - mark_width - margin
    y = margin if position.startswith("top") else height - mark_height - margin
    return max(0, x), max(0, y)


def logo_normalise(fileobj: IO[bytes]) -> bytes:
    """The uploaded logo as the PNG that is stored: RGBA, at most LOGO_STORED_EDGE pixels.
    Raises LogoRejected for a file too big, not an image, or damaged; the file's own
    bytes are never stored."""
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > LOGO_MAX_BYTES:
        raise LogoRejected(
            f"The logo's file is {size / 1024 / 1024:.1f} MB; the limit is {LOGO_MAX_BYTES // 1024 // 1024} MB."
        )
    try:
        with Image.open(fileobj, formats=_LOGO_FORMATS) as im:
            if im.width * im.height > LOGO_MAX_PIXELS:
                limit = LOGO_MAX_PIXELS // 1_000_000
                raise LogoRejected(f"The logo is {im.width}×{im.height} pixels; the limit is {limit} megapixels.")
            im.load()
            logo = im.convert("RGBA")
    except LogoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise LogoRejected("The logo must be a PNG, JPEG, WebP or GIF image.") from None
    except Exception as exc:
        raise LogoRejected(f"The logo's file is damaged or incomplete ({type(exc).__name__}).") from None
    finally:
        fileobj.seek(0)
    if logo.getchannel("A").getbbox() is None:
        raise LogoRejected("The logo is fully transparent: there would be nothing to see.")
    logo.thumbnail((LOGO_STORED_EDGE, LOGO_STORED_EDGE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    logo.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def logo_open(data: bytes) -> Image.Image:
    """A stored logo (logo_normalise's PNG), decoded."""
    with Image.open(io.BytesIO(data), formats=("PNG",)) as im:
        return im.convert("RGBA")


def sample_photo(size: tuple[int, int]) -> Image.Image:
    """A stand-in for a gallery without photos: light to dark across, so the preview
    shows the mark on both."""
    ramp = Image.linear_gradient("L").rotate(90).resize(size)
    return Image.merge("RGB", (ramp, ramp.point(lambda v: v * 9 // 10), ramp.point(lambda v: v * 8 // 10)))
