"""Decode bombs for tests: real small images of each accepted format whose header states
another size (a few KB that claim hundreds of megapixels), and the red team's real
12000 x 12000 WebP of a few hundred KB."""

from __future__ import annotations

import io
import struct

from PIL import Image

from galleries.tests.images import exif_bytes, gif_bytes, heic_bytes, huge_png_bytes, jpeg_bytes, tiff_bytes, webp_bytes

FORMATS = ("JPEG", "PNG", "WEBP", "WEBP-VP8X", "GIF", "HEIF", "TIFF")


def stated(image_format: str, width: int, height: int) -> bytes:
    """A small real image of `image_format` whose header states width x height."""
    if image_format == "PNG":
        return huge_png_bytes(width, height)
    if image_format == "JPEG":
        data = bytearray(jpeg_bytes(64, 48))
        sof = data.index(b"\xff\xc0")
        data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
        return bytes(data)
    if image_format == "WEBP":
        data = bytearray(webp_bytes(64, 48))
        assert data[12:16] == b"VP8 "
        data[26:30] = struct.pack("<HH", width, height)
        return bytes(data)
    if image_format == "WEBP-VP8X":
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "WEBP", exif=exif_bytes(make="Canon"))
        data = bytearray(buffer.getvalue())
        assert data[12:16] == b"VP8X"
        data[24:30] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        return bytes(data)
    if image_format == "GIF":
        data = bytearray(gif_bytes(16, 12, frames=((255, 0, 0),)))
        data[6:10] = struct.pack("<HH", width, height)
        descriptor = data.index(b"\x2c", 13)
        data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
        return bytes(data)
    if image_format == "HEIF":
        data = bytearray(heic_bytes(64, 64))  # no clean aperture box: the size is the ispe's
        box = data.find(b"ispe")
        while box != -1:
            data[box + 8 : box + 16] = struct.pack(">II", width, height)
            box = data.find(b"ispe", box + 4)
        return bytes(data)
    if image_format == "TIFF":
        data = bytearray(tiff_bytes(16, 12))
        assert data[:2] == b"II"
        ifd = struct.unpack("<I", data[4:8])[0]
        (count,) = struct.unpack("<H", data[ifd : ifd + 2])
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind = struct.unpack("<HH", data[entry : entry + 4])
            if tag in (256, 257):
                value = width if tag == 256 else height
                data[entry + 8 : entry + 12] = struct.pack(
                    "<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else (value,))
                )
        return bytes(data)
    raise ValueError(image_format)


def red_team_webp(width: int = 12_000, height: int = 12_000) -> bytes:
    """A real, whole WebP of 144 megapixels in a few hundred KB (one flat colour, lossy),
    as the red team sent: decoding it takes seconds and gigabytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 80)).save(buffer, "WEBP", quality=10, method=0)
    return buffer.getvalue()
