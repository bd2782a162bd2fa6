"""The upload check of PNG and TIFF in bounded memory (galleries/imaging.py): a PNG is
proved whole from its chunks and its inflated rows, never decoded; a TIFF too large to
decode in the web process is checked for its structure and decoded by the worker.
Every refusal of the full decode still happens."""

import io
import os
import struct
import subprocess
import sys
import zlib

import pytest
from django.conf import settings as django_settings
from PIL import Image

from galleries import image_structure, imaging
from galleries.imaging import ImageRejected, inspect_image, make_derivatives
from galleries.tests.images import exif_bytes, png_bytes, tiff_bytes

DAMAGED = r"^The file is damaged or incomplete \(.+\)\.$"


def _chunk(kind: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_by_hand(
    width: int,
    height: int,
    *,
    rows: bytes | None = None,
    interlaced: bool = False,
    before_iend: bytes = b"",
    idat_crc: int | None = None,
) -> bytes:
    """An 8-bit RGB PNG written chunk by chunk; `rows` is its inflated image data
    (default: every row filter 0, black)."""
    if rows is None:
        passes = image_structure.png_rows(width, height, 24, interlaced=interlaced)
        rows = b"".join(b"\x00" * (stride * count) for count, stride in passes)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1 if interlaced else 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows), crc=idat_crc)
        + before_iend
        + _chunk(b"IEND", b"")
    )


# --- PNG --------------------------------------------------------------------------


def test_it_accepts_a_png_it_never_decodes_and_reads_its_size():
    info = inspect_image(io.BytesIO(png_bytes(600, 400)))

    assert (info.format, info.width, info.height) == ("PNG", 600, 400)


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (9, 9), (33, 17)])
def test_it_accepts_interlaced_pngs_of_every_shape(size):
    data = png_by_hand(*size, interlaced=True)
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # Pillow agrees it is whole

    assert (inspect_image(io.BytesIO(data)).width, inspect_image(io.BytesIO(data)).height) == size


@pytest.mark.parametrize("interlaced", [False, True])
def test_it_refuses_a_png_whose_image_data_is_one_row_short(interlaced):
    passes = image_structure.png_rows(40, 30, 24, interlaced=interlaced)
    rows = b"".join(b"\x00" * (stride * count) for count, stride in passes)
    last_stride = passes[-1][1]

    with pytest.raises(ImageRejected, match="image data ends early"):
        inspect_image(io.BytesIO(png_by_hand(40, 30, rows=rows[:-last_stride], interlaced=interlaced)))


def test_it_takes_every_row_from_a_stream_left_unfinished_as_pillow_does():
    rows = b"\x00" * (40 * 3 + 1) * 30
    compressor = zlib.compressobj()
    unfinished = compressor.compress(rows) + compressor.flush(zlib.Z_SYNC_FLUSH)
    header = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", unfinished) + _chunk(b"IEND", b"")
    with Image.open(io.BytesIO(data)) as im:
        im.load()

    assert inspect_image(io.BytesIO(data)).width == 40


def test_it_refuses_a_png_with_a_row_of_an_unknown_filter():
    stride = 40 * 3 + 1
    rows = bytearray(b"\x00" * stride * 30)
    rows[stride * 17] = 9

    with pytest.raises(ImageRejected, match="unknown filter"):
        inspect_image(io.BytesIO(png_by_hand(40, 30, rows=bytes(rows))))


def test_it_refuses_a_png_whose_compressed_data_is_corrupt_under_a_valid_crc():
    data = bytearray(png_bytes(300, 200, marker=True))
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    data[start + length // 2] ^= 0xFF
    data[start + length : start + length + 4] = struct.pack(">I", zlib.crc32(bytes(data[start - 4 : start + length])))

    with pytest.raises(ImageRejected, match=DAMAGED):
        inspect_image(io.BytesIO(bytes(data)))


def test_it_refuses_a_png_whose_image_data_fails_its_checksum():
    data = png_by_hand(40, 30, idat_crc=1234)

    with pytest.raises(ImageRejected, match="checksum of its IDAT chunk"):
        inspect_image(io.BytesIO(data))


@pytest.mark.parametrize("cut", [1, 12, 100])
def test_it_refuses_a_png_missing_only_its_last_bytes(cut):
    data = png_bytes(600, 400)

    with pytest.raises(ImageRejected, match=DAMAGED):
        inspect_image(io.BytesIO(data[:-cut]))


def test_it_reads_exif_written_after_the_image_data_without_decoding():
    exif = exif_bytes(orientation=6, model="Pixel 9").removeprefix(b"Exif\x00\x00")
    data = png_by_hand(60, 40, before_iend=_chunk(b"eXIf", exif))

    info = inspect_image(io.BytesIO(data))

    assert (info.width, info.height, info.camera_model) == (40, 60, "Pixel 9")


def test_it_still_refuses_a_png_over_the_pixel_limit(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000

    with pytest.raises(ImageRejected, match="1.2 megapixels, at most 1"):
        inspect_image(io.BytesIO(png_by_hand(1200, 1000)))


# --- TIFF -------------------------------------------------------------------------


def _deflate_tiff(width=320, height=240) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "TIFF", compression="tiff_adobe_deflate")
    return buffer.getvalue()


@pytest.fixture
def large_tiffs_only(monkeypatch):
    """Every TIFF counts as too large to decode in the request."""
    monkeypatch.setattr(imaging, "DECODE_IN_REQUEST_MAX_BYTES", 0)


@pytest.mark.parametrize("make", [tiff_bytes, _deflate_tiff], ids=["raw", "deflate"])
def test_a_large_tiff_is_accepted_from_its_structure(large_tiffs_only, make):
    info = inspect_image(io.BytesIO(make()))

    assert (info.format, info.width, info.height) == ("TIFF", 320, 240)


@pytest.mark.parametrize(
    ("make", "keep"),
    [(tiff_bytes, 2 / 3), (tiff_bytes, 0.9999), (_deflate_tiff, 2 / 3)],
    # Pillow writes a raw TIFF's directory before its strips and a compressed one's after.
    ids=["raw, strips cut", "raw, last bytes missing", "deflate, directory cut"],
)
def test_a_large_tiff_cut_off_is_refused_at_upload(large_tiffs_only, make, keep):
    data = make()

    with pytest.raises(ImageRejected, match=DAMAGED):
        inspect_image(io.BytesIO(data[: int(len(data) * keep)]))


def test_a_large_tiff_whose_compressed_data_is_damaged_is_refused_by_the_worker(large_tiffs_only):
    with Image.open(io.BytesIO(_deflate_tiff())) as im:
        offset, count = im.tag_v2[273][0], im.tag_v2[279][0]
    data = bytearray(_deflate_tiff())
    data[offset : offset + count] = b"\x55" * count

    inspect_image(io.BytesIO(bytes(data)))  # its structure is whole
    with pytest.raises(ImageRejected):
        make_derivatives(io.BytesIO(bytes(data)))


def test_a_small_tiff_is_still_decoded_in_the_request():
    with Image.open(io.BytesIO(_deflate_tiff())) as im:
        offset, count = im.tag_v2[273][0], im.tag_v2[279][0]
    data = bytearray(_deflate_tiff())
    data[offset : offset + count] = b"\x55" * count

    with pytest.raises(ImageRejected, match=DAMAGED):
        inspect_image(io.BytesIO(bytes(data)))


# --- Memory -----------------------------------------------------------------------

CHECK_A_144_MP_PNG = """
import io, os, struct, sys, zlib
import django
django.setup()
from galleries.imaging import inspect_image

width = height = 12_000
row = b"\\x00" + bytes(range(256)) * (width * 3 // 256) + b"\\x00" * (width * 3 % 256)
compressor = zlib.compressobj(6)
data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = io.BytesIO(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                 + chunk(b"IDAT", data) + chunk(b"IEND", b""))
del data

def rss(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field)) // 1024
idle = rss("VmRSS:")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak starts again from here
info = inspect_image(png)
print(info.width, info.height, rss("VmHWM:") - idle)
"""


def test_a_144_megapixel_png_is_checked_within_the_memory_budget():
    """A fresh interpreter, its peak resident memory reset once the file is in memory:
    decoding would take 576 MB; the budget is 150 MB (bench/upload_check_memory.py)."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventgallery.settings", "SECRET_KEY": "tests-only"}

    result = subprocess.run(
        [sys.executable, "-c", CHECK_A_144_MP_PNG],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    width, height, peak_above_idle_mb = map(int, result.stdout.split())
    assert (width, height) == (12_000, 12_000)
    assert peak_above_idle_mb < 150
