"""What an image file says about itself, read without decoding any of its pixels.

Used by galleries.imaging, which turns `Damaged` into its ImageRejected message:

- `webp_size`: the size a WebP states in its first 30 bytes. Pillow's WebP opener
  makes libwebp allocate the whole canvas (width x height x 4 bytes, twice) as soon as
  the file is opened, so a WebP's size is checked here, before Pillow sees it.
- `check_structure`: the file is whole: every part it names lies within it and its
  image data is all there (what a cut-off or spliced file lacks). The pixels are not
  decoded, so damage inside the compressed data is found by the worker that decodes
  them (the photo then fails with the reason, as any failed processing does).
  JPEG: its segments up to the scan, then an end-of-image marker after the scan (an
  MPO's other images within the file).
  PNG: every chunk to IEND, with the CRC of the critical ones (`check_png`, which for
  an organizer's upload also inflates the image data, a piece at a time, and counts its
  rows: never decoded to pixels). WebP: the RIFF chunks within the RIFF size, within
  the file, with image data. GIF: every block and sub-block to the trailer, one image at least.
  HEIF: the top-level boxes within the file, `ftyp` first and `meta` present. TIFF:
  every strip or tile within the file (`check_tiff_strips`, from the tags Pillow read).

Reads are bounded: a header, or the file in pieces; memory stays a piece whatever the size.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import IO

_PIECE_BYTES = 1024 * 1024
_JPEG_END = b"\xff\xd9"


class Damaged(Exception):
    """The file is not whole; str(exc) says how, for people."""


def webp_size(prefix: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP states in its first 30 bytes, or None when it states none
    that can be read (Pillow's opener then refuses the file)."""
    if len(prefix) < 30 or prefix[:4] != b"RIFF" or prefix[8:12] != b"WEBP":
        return None
    kind = prefix[12:16]
    if kind == b"VP8X":
        width = int.from_bytes(prefix[24:27], "little") + 1
        height = int.from_bytes(prefix[27:30], "little") + 1
        return width, height
    if kind == b"VP8 " and prefix[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", prefix[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and prefix[20] == 0x2F:
        bits = int.from_bytes(prefix[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def check_structure(fileobj: IO[bytes], image_format: str, *, parts: Sequence[tuple[int, int]] = ()) -> None:
    """Raise Damaged unless the file of `image_format` (Pillow's name) is whole; see the
    module's docstring for what is checked. `parts`: (offset, size) of more parts the
    file names, such as an MPO's other images, which must lie within it. PNG and TIFF
    have checks of their own (check_png, check_tiff_strips)."""
    checker = _CHECKERS.get(image_format)
    if checker is not None:
        fileobj.seek(0)
        reader = _Reader(fileobj)
        checker(reader)
        for offset, size in parts:
            if offset < 0 or size <= 0 or offset + size > reader.size:
                raise Damaged("the file ends before its last image does")


class _Reader:
    def __init__(self, fileobj: IO[bytes]):
        self.fileobj = fileobj
        self.size = fileobj.seek(0, 2)
        fileobj.seek(0)

    def tell(self) -> int:
        return self.fileobj.tell()

    def seek(self, position: int) -> None:
        if position > self.size:
            raise Damaged("the file ends before the image does")
        self.fileobj.seek(position)

    def read(self, size: int) -> bytes:
        data = self.fileobj.read(size)
        if len(data) != size:
            raise Damaged("the file ends before the image does")
        return data

    def skip(self, size: int) -> None:
        self.seek(self.tell() + size)


def _check_jpeg(reader: _Reader) -> None:
    if reader.read(2) != b"\xff\xd8":
        raise Damaged("its header is missing")
    while True:
        marker = reader.read(2)
        while marker[1:] == b"\xff":  # fill bytes before a marker
            marker = marker[1:] + reader.read(1)
        if marker[0] != 0xFF:
            raise Damaged("a segment's header is not valid")
        kind = marker[1]
        if 0xD0 <= kind <= 0xD7 or kind == 0x01:  # markers without a length
            continue
        if kind == 0xD9:
            raise Damaged("it ends before its image data")
        length = int.from_bytes(reader.read(2), "big")
        if length < 2:
            raise Damaged("a segment's header is not valid")
        reader.skip(length - 2)
        if kind == 0xDA:  # start of scan: the entropy-coded data follows
            break
    # Inside the scan 0xFF is always followed by 0x00 or a restart marker, so the first
    # 0xFF 0xD9 is the image's end (a second image, in an MPO, lies after it).
    carry = b""
    while True:
        piece = reader.fileobj.read(_PIECE_BYTES)
        if not piece:
            raise Damaged("the file ends before the image does")
        if _JPEG_END in carry + piece:
            return
        carry = piece[-1:]


def _check_webp(reader: _Reader) -> None:
    head = reader.read(12)
    if head[:4] != b"RIFF" or head[8:] != b"WEBP":
        raise Damaged("its header is missing")
    riff_end = 8 + int.from_bytes(head[4:8], "little")
    if riff_end > reader.size:
        raise Damaged("the file ends before the image does")
    has_image = False
    while reader.tell() + 8 <= riff_end:
        kind, length = struct.unpack("<4sI", reader.read(8))
        end = reader.tell() + length + (length & 1)
        if reader.tell() + length > riff_end:
            raise Damaged(f"its {kind.decode('latin-1').strip()} chunk runs past the file's end")
        if kind in (b"VP8 ", b"VP8L", b"ANMF"):
            has_image = has_image or length > 0
        reader.seek(min(end, riff_end))
    if not has_image:
        raise Damaged("its image data is missing")


def _check_gif(reader: _Reader) -> None:
    head = reader.read(13)
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        raise Damaged("its header is missing")
    if head[10] & 0x80:
        reader.skip(3 * 2 ** ((head[10] & 0x07) + 1))
    images = 0
    while True:
        introducer = reader.fileobj.read(1)
        if not introducer:
            break  # a missing trailer after whole blocks is taken, as decoders take it
        if introducer == b"\x3b":
            break
        if introducer == b"\x21":
            reader.read(1)  # the extension's label
        elif introducer == b"\x2c":
            descriptor = reader.read(9)
            if descriptor[8] & 0x80:
                reader.skip(3 * 2 ** ((descriptor[8] & 0x07) + 1))
            reader.read(1)  # LZW minimum code size
            images += 1
        else:
            raise Damaged("a block is not valid")
        _skip_sub_blocks(reader)
    if not images:
        raise Damaged("its image data is missing")


def _skip_sub_blocks(reader: _Reader) -> None:
    while True:
        length = reader.read(1)[0]
        if not length:
            return
        reader.skip(length)


def _check_heif(reader: _Reader) -> None:
    kinds = []
    position = 0
    while position < reader.size:
        reader.seek(position)
        size, kind = struct.unpack(">I4s", reader.read(8))
        if size == 1:
            size = struct.unpack(">Q", reader.read(8))[0]
        elif size == 0:
            size = reader.size - position
        if size < 8:
            raise Damaged("a box's header is not valid")
        if position + size > reader.size:
            raise Damaged(f"its {kind.decode('latin-1')} box runs past the file's end")
        kinds.append(kind)
        position += size
    if not kinds or kinds[0] != b"ftyp" or b"meta" not in kinds:
        raise Damaged("its header is missing")


_CHECKERS = {
    "JPEG": _check_jpeg,
    "MPO": _check_jpeg,
    "WEBP": _check_webp,
    "GIF": _check_gif,
    "HEIF": _check_heif,
}


# --- PNG and TIFF: checked from the file, with what Pillow read of their header ---------

# How much of a PNG's image data is read, and inflated, at a time.
_PNG_PIECE_BYTES = 1024 * 1024

# PNG colour type: samples per pixel.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 interlacing: each pass's first column and row, and its steps.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_MAX_FILTER = 4  # None, Sub, Up, Average, Paeth


def check_png(fileobj: IO[bytes], size: tuple[int, int], *, inflate: bool = True) -> bytes | None:
    """Prove a PNG whole without decoding it: returns its eXIf chunk, if any.

    Reads every chunk to IEND, checks the CRC of the critical ones and (with `inflate`)
    inflates the image data in pieces: zlib verifies the stream and its Adler-32, and the
    inflated rows (per interlace pass) must fill the image, each opening with a filter
    byte of 0-4. Memory: a piece of the file and a megabyte of inflated rows at a time.
    """
    fileobj.seek(8)
    length, kind = _png_chunk_head(fileobj)
    if kind != b"IHDR" or length != 13:
        raise Damaged("its header is missing")
    header = _png_read(fileobj, 13)
    _png_check_crc(fileobj, kind, zlib.crc32(header, zlib.crc32(kind)))
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (width, height) != size or colour_type not in _PNG_CHANNELS:
        raise Damaged("its header is inconsistent")
    rows = png_rows(width, height, _PNG_CHANNELS[colour_type] * bit_depth, interlaced=interlace == 1)
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
        raise Damaged("its image data is missing")
    return exif


def png_rows(width: int, height: int, bits_per_pixel: int, *, interlaced: bool) -> list[tuple[int, int]]:
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
            raise Damaged(f"its image data is corrupt: {exception_reason(exc)}") from exc

    def finish(self) -> None:
        # A stream that never reached its end is taken if every row came, as Pillow
        # and libpng take it; one that did end had its Adler-32 checked by zlib.
        if self._passes:
            raise Damaged("its image data ends early")

    def _take(self, rows: bytes) -> None:
        view = memoryview(rows)
        while view and self._passes:
            count, stride = self._passes[0]
            pass_bytes = count * stride
            piece = view[: pass_bytes - self._offset]
            # The filter bytes of the rows that start inside this piece.
            filters = piece[(-self._offset) % stride :: stride]
            if filters and max(filters) > _PNG_MAX_FILTER:
                raise Damaged("its image data is corrupt: a row has an unknown filter")
            self._offset += len(piece)
            view = view[len(piece) :]
            if self._offset == pass_bytes:
                self._passes.pop(0)
                self._offset = 0
        # Bytes after the last row are ignored, as decoders do.


def _png_chunk_head(fileobj: IO[bytes]) -> tuple[int, bytes]:
    length, kind = struct.unpack(">I4s", _png_read(fileobj, 8))
    if length > 0x7FFFFFFF or not kind.isalpha():
        raise Damaged("a chunk's header is not valid")
    return length, kind


def _png_check_crc(fileobj: IO[bytes], kind: bytes, crc: int) -> None:
    if struct.unpack(">I", _png_read(fileobj, 4))[0] != crc & 0xFFFFFFFF:
        raise Damaged(f"the checksum of its {kind.decode('ascii')} chunk does not match")


def _png_read(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) != size:
        raise Damaged("the file ends before the image does")
    return data


def check_tiff_strips(fileobj: IO[bytes], tags: Mapping[int, object]) -> None:
    """Raise Damaged unless every strip or tile the TIFF's tags (Pillow's tag_v2) name
    is there, within the file: what a cut-off file lacks. Its data is decoded later,
    by the worker."""
    offsets = tags.get(273) or tags.get(324)  # StripOffsets, or TileOffsets
    counts = tags.get(279) or tags.get(325)  # StripByteCounts, or TileByteCounts
    if isinstance(offsets, int):
        offsets = (offsets,)
    if isinstance(counts, int):
        counts = (counts,)
    if not offsets or not counts or len(offsets) != len(counts):
        raise Damaged("its image data is missing")
    file_size = fileobj.seek(0, io.SEEK_END)
    for offset, count in zip(offsets, counts, strict=True):
        if count <= 0 or offset + count > file_size:
            raise Damaged("the file ends before the image does")


def exception_reason(exc: Exception) -> str:
    """An exception's message for a person: its text, or its name, at most 120 characters."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
