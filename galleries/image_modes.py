"""Decoded images brought to what can be resampled, and then to what a JPEG holds.

Used by galleries.imaging between the decode and the resize, and before the JPEG is
written:

- `prepare_for_resize`: palette, 1-bit, 16- and 32-bit, float and exotic modes become
  L, LA, RGB, RGBA or CMYK, the modes Pillow resamples well (16-bit and float scaled
  to 8-bit grey, never clipped to white; transparency kept for the flattening).
- `to_output_mode`: L or RGB, transparency flattened on white, CMYK converted to sRGB
  through its ICC profile (naively when the profile is broken), with the ICC profile
  that still describes the result (None once it no longer does).
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms


def prepare_for_resize(im: Image.Image) -> Image.Image:
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


def to_output_mode(im: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, bytes | None]:
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
