"""Personal metadata taken out of uploaded originals, without re-encoding the image.

Guests download originals (the "originals" download policy), so what a camera or
phone wrote beside the picture leaves with them. At ingest (services.photo_create):

- every upload loses its location: the GPS IFD of its EXIF. Camera, date, copyright
  and the rest stay; an XMP packet that names a GPS position is blanked.
- a guest's upload also loses the fields that name a person or a device: the maker
  note, serial numbers, owner and artist names, comments, the image's unique id, and
  every XMP packet.

How: the EXIF (a TIFF structure) is edited where it lies, at the same length, so
that nothing around it moves: the entries removed from an IFD are dropped and the
entries after them moved up, and the bytes they pointed to are zeroed; a blanked XMP
packet is overwritten with spaces. That is lossless and works the same in a JPEG's
APP1 segment (also a second image's, in an MPO), a HEIC's Exif item, a WebP's EXIF
chunk, a PNG's eXIf chunk (its CRC made again) and a TIFF file. The file is read in
chunks; it is copied (to memory or a temporary file, as Django spools uploads) only
when something has to change.

Derivatives never carry metadata: imaging._derivative writes them with empty info.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File

CHUNK = 4 * 1024 * 1024
# How far past a TIFF header its IFDs and their values may lie (EXIF in a JPEG is at
# most 64 KB; a HEIC's Exif item is not much larger).
TIFF_WINDOW = 1024 * 1024
# The TIFF header with IFD0 right behind it, as every camera and library writes it.
TIFF_SIGNATURES = (b"MM\x00\x2a\x00\x00\x00\x08", b"II\x2a\x00\x08\x00\x00\x00")
XMP_START, XMP_END = b"<x:xmpmeta", b"</x:xmpmeta>"

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
# Who took the photo, with what serial numbered device, and what they wrote in it.
PERSONAL_IFD0_TAGS = {0x010E, 0x013B, 0x013C, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F, 0xA431}
PERSONAL_EXIF_TAGS = {0x927C, 0x9286, 0xA420, 0xA430, 0xA431, 0xA435}
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


@dataclass
class _Edit:
    offset: int  # in the file
    data: bytes


def _jpeg_header_end(upload: File) -> int | None:
    """Where a JPEG's image data begins (its metadata all lies before), or None for
    another format, or a JPEG that holds more images (an MPO: a second image has its
    own EXIF further on), which are searched whole."""
    upload.seek(0)
    if upload.read(2) != b"\xff\xd8":
        return None
    position = 2
    while True:
        marker = upload.read(4)
        if len(marker) < 4 or marker[0] != 0xFF:
            return None  # not a JPEG we can walk: searched whole
        kind, length = marker[1], int.from_bytes(marker[2:], "big")
        if kind == 0xDA:  # start of scan
            return position
        if kind == 0xE2 and upload.read(4) == b"MPF\x00":
            return None
        position += 2 + length
        upload.seek(position)


def _scan(upload: File):
    """Yields (signature, offset) for each TIFF header and XMP packet in the file (in a
    JPEG, in its segments before the image data)."""
    overlap = max(len(XMP_START), len(TIFF_SIGNATURES[0])) - 1
    limit = _jpeg_header_end(upload)
    upload.seek(0)
    position = 0
    tail = b""
    while limit is None or position < limit:
        chunk = upload.read(CHUNK if limit is None else min(CHUNK, limit - position))
        if not chunk:
            break
        data = tail + chunk
        base = position - len(tail)
        for signature in (*TIFF_SIGNATURES, XMP_START):
            start = 0
            while (found := data.find(signature, start)) != -1:
                if found + len(signature) > len(tail):  # not already seen in the last chunk
                    yield signature, base + found
                start = found + 1
        position += len(chunk)
        tail = data[-overlap:]


def _read_at(upload: File, offset: int, size: int) -> bytes:
    upload.seek(offset)
    return upload.read(size)


class _Tiff:
    """The IFDs of one TIFF block, and the edits that take entries out of them."""

    def __init__(self, data: bytes):
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"
        self.edits: list[tuple[int, bytes]] = []  # (offset in the block, bytes)

    def _u16(self, at: int) -> int:
        return struct.unpack_from(self.order + "H", self.data, at)[0]

    def _u32(self, at: int) -> int:
        return struct.unpack_from(self.order + "I", self.data, at)[0]

    def entries(self, ifd: int) -> list[tuple[int, int, int, int]]:
        """(tag, type, count, value-or-offset) of each entry; ValueError if out of the block."""
        count = self._u16(ifd)
        if ifd + 2 + 12 * count + 4 > len(self.data) or count > 1000:
            raise ValueError("IFD outside the block")
        result = []
        for i in range(count):
            at = ifd + 2 + 12 * i
            tag, kind, n = struct.unpack_from(self.order + "HHI", self.data, at)
            result.append((tag, kind, n, self._u32(at + 8)))
        return result

    def _value_span(self, kind: int, count: int, value: int) -> tuple[int, int] | None:
        size = TYPE_SIZES.get(kind, 1) * count
        if size <= 4:
            return None
        return value, min(size, max(0, len(self.data) - value))

    def _zero(self, start: int, size: int) -> None:
        if 0 < start < len(self.data) and size > 0:
            self.edits.append((start, bytes(size)))

    def _zero_ifd(self, ifd: int) -> None:
        """Zeroes an IFD (a GPS one) and every value it points to."""
        entries = self.entries(ifd)
        for _, kind, count, value in entries:
            if span := self._value_span(kind, count, value):
                self._zero(*span)
        self._zero(ifd, 2 + 12 * len(entries) + 4)

    def drop(self, ifd: int, tags: set[int]) -> list[tuple[int, int, int, int]]:
        """Removes the entries with these tags from the IFD (their values zeroed, a GPS
        IFD they point to too); returns the entries kept."""
        entries = self.entries(ifd)
        kept = [entry for entry in entries if entry[0] not in tags]
        if len(kept) == len(entries):
            return kept
        for tag, kind, count, value in entries:
            if tag not in tags:
                continue
            if tag == GPS_IFD:
                self._zero_ifd(value)
            elif span := self._value_span(kind, count, value):
                self._zero(*span)
        raw = [self.data[ifd + 2 + 12 * i : ifd + 14 + 12 * i] for i, entry in enumerate(entries) if entry in kept]
        next_ifd = self.data[ifd + 2 + 12 * len(entries) : ifd + 6 + 12 * len(entries)]
        body = struct.pack(self.order + "H", len(kept)) + b"".join(raw) + next_ifd
        self.edits.append((ifd, body + bytes(12 * (len(entries) - len(kept)))))
        return kept


def _tiff_edits(data: bytes, *, guest: bool) -> list[tuple[int, bytes]]:
    tiff = _Tiff(data)
    ifd0_tags = {GPS_IFD} | (PERSONAL_IFD0_TAGS if guest else set())
    kept = tiff.drop(8, ifd0_tags)
    if guest:
        for tag, _, _, value in kept:
            if tag == EXIF_IFD:
                tiff.drop(value, PERSONAL_EXIF_TAGS)
    return tiff.edits


def _edits(upload: File, *, guest: bool) -> list[_Edit]:
    edits = []
    for signature, offset in _scan(upload):
        if signature == XMP_START:
            window = _read_at(upload, offset, TIFF_WINDOW)
            end = window.find(XMP_END)
            if end == -1:
                continue
            packet = window[: end + len(XMP_END)]
            if guest or b"GPS" in packet:
                edits.append(_Edit(offset, b" " * len(packet)))
            continue
        window = _read_at(upload, offset, TIFF_WINDOW)
        try:
            edits.extend(_Edit(offset + at, data) for at, data in _tiff_edits(window, guest=guest))
        except (ValueError, struct.error):
            continue  # eight bytes that only looked like a TIFF header
    return edits


def _fix_png_crcs(out) -> None:
    """PNG chunks carry a CRC: those of the eXIf and iTXt chunks edited are made again."""
    out.seek(8)
    while True:
        head = out.read(8)
        if len(head) < 8:
            return
        length, kind = struct.unpack(">I4s", head)
        start = out.tell()
        if kind in (b"eXIf", b"iTXt", b"zTXt", b"tEXt"):
            body = out.read(length)
            out.seek(start + length)
            out.write(struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
        else:
            out.seek(start + length + 4)
        if kind == b"IEND":
            return


def strip_personal_metadata(upload: File, *, guest: bool) -> File:
    """The upload without its location (and, for a guest's, without the other
    personal metadata): the same file if it had none, else a copy edited in place.
    A file this cannot read (not an image, damaged) is returned as it is, for the
    image checks to refuse."""
    edits = _edits(upload, guest=guest)
    upload.seek(0)
    if not edits:
        return upload
    # Handed on open: services.photo_create closes it once stored.
    out = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while chunk := upload.read(CHUNK):
        out.write(chunk)
    # Zeroing last: a TIFF-like block inside a maker note that is zeroed stays zeroed.
    for edit in sorted(edits, key=lambda edit: not edit.data.strip(b"\x00 ")):
        out.seek(edit.offset)
        out.write(edit.data)
    out.seek(0)
    if out.read(8) == b"\x89PNG\r\n\x1a\n":
        _fix_png_crcs(out)
    out.seek(0)
    return File(out, name=getattr(upload, "name", None))
