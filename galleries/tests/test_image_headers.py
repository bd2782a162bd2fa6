"""Every accepted format is checked from its header before any of its pixels is decoded,
against the route's limit (PHOTO_MAX_PIXELS for originals, SELFIE_MAX_PIXELS for selfies
and the compare and detect API), and a guest's upload is checked from its header and
structure only: the web process decodes none of it."""

from __future__ import annotations

import io
import random
import zlib

import pytest
from django.conf import settings as django_settings
from PIL import Image, WebPImagePlugin

from faces.services.search import read_image
from galleries.imaging import ImageRejected, ImageTooLarge, inspect_image
from galleries.tests.bombs import FORMATS, red_team_webp, stated
from galleries.tests.decoding_turns import record_decodes
from galleries.tests.images import gif_bytes, heic_bytes, jpeg_bytes, mpo_bytes, png_bytes, tiff_bytes, webp_bytes


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    return record_decodes(monkeypatch)


@pytest.fixture
def webp_decoders(monkeypatch) -> list[int]:
    """WebPs for which libwebp was asked for its decoder: it allocates the whole canvas."""
    made: list[int] = []
    real = WebPImagePlugin._webp.WebPAnimDecoder

    def counted(data):
        made.append(len(data))
        return real(data)

    monkeypatch.setattr(WebPImagePlugin._webp, "WebPAnimDecoder", counted)
    return made


@pytest.fixture(scope="module")
def red_team_bomb() -> bytes:
    return red_team_webp()


def _whole_files() -> dict[str, bytes]:
    return {
        "JPEG": jpeg_bytes(320, 240, make="Canon", taken_at="2026:12:05 21:00:00"),
        "MPO": mpo_bytes(320, 240),
        "PNG": png_bytes(320, 240),
        "WEBP": webp_bytes(320, 240),
        "WEBP-RGBA": webp_bytes(320, 240, mode="RGBA"),
        "GIF": gif_bytes(160, 120),
        "HEIF": heic_bytes(),
        "TIFF": tiff_bytes(320, 240),
    }


@pytest.mark.parametrize("decode", [True, False], ids=["organizer", "guest"])
@pytest.mark.parametrize("image_format", FORMATS)
def test_it_refuses_an_original_whose_header_states_too_many_pixels_before_decoding_it(
    image_format, decode, decoded, webp_decoders
):
    with pytest.raises(ImageTooLarge) as excinfo:
        inspect_image(io.BytesIO(stated(image_format, 16_000, 16_000)), decode=decode)

    assert str(excinfo.value) == "This image is too large: 256 megapixels, at most 150."
    assert (decoded, webp_decoders) == ([], [])


@pytest.mark.parametrize("image_format", FORMATS)
def test_it_refuses_a_selfie_of_more_pixels_than_a_phone_takes_before_decoding_it(image_format, decoded, webp_decoders):
    assert django_settings.SELFIE_MAX_PIXELS == 50_000_000

    with pytest.raises(ImageTooLarge) as excinfo:
        read_image(io.BytesIO(stated(image_format, 8000, 7000)))

    assert str(excinfo.value) == "This image is too large: 56 megapixels, at most 50."
    assert (decoded, webp_decoders) == ([], [])


def test_the_red_teams_webp_is_refused_as_a_selfie_from_its_header(red_team_bomb, decoded, webp_decoders):
    assert len(red_team_bomb) < 1024 * 1024

    with pytest.raises(ImageTooLarge, match=r"^This image is too large: 144 megapixels, at most 50\.$"):
        read_image(io.BytesIO(red_team_bomb))

    assert (decoded, webp_decoders) == ([], [])


def test_the_red_teams_webp_is_taken_from_a_guest_without_decoding_it(red_team_bomb, decoded):
    # 144 MP is within PHOTO_MAX_PIXELS: a camera's original may be that large. The
    # worker decodes it, never the web process.
    info = inspect_image(io.BytesIO(red_team_bomb), decode=False)

    assert (info.format, info.width, info.height) == ("WEBP", 12_000, 12_000)
    assert decoded == []


@pytest.mark.parametrize("name", list(_whole_files()))
def test_a_guests_whole_file_of_every_format_is_taken_without_decoding_it(name, decoded):
    data = _whole_files()[name]

    info = inspect_image(io.BytesIO(data), decode=False)

    with Image.open(io.BytesIO(data)) as im:
        assert (info.width, info.height) == im.size
    assert decoded == []


def test_a_guests_jpeg_keeps_what_its_header_says(decoded):
    info = inspect_image(io.BytesIO(_whole_files()["JPEG"]), decode=False)

    assert (info.camera_make, info.taken_at.isoformat()) == ("Canon", "2026-12-05T21:00:00")


@pytest.mark.parametrize("cut", ["half", "last bytes"])
@pytest.mark.parametrize("name", list(_whole_files()))
def test_a_guests_file_cut_off_is_refused_as_damaged_without_decoding_it(name, cut, decoded):
    data = _whole_files()[name]
    data = data[: len(data) // 2] if cut == "half" else data[:-10]

    with pytest.raises(ImageRejected, match=r"^The file is damaged or incomplete \(.+\)\.$"):
        inspect_image(io.BytesIO(data), decode=False)

    assert decoded == []


def test_a_guests_png_with_corrupt_compressed_data_is_left_to_the_worker():
    data = bytearray(png_bytes(320, 240))
    # The IDAT chunk's data changed and its CRC made again: whole, but not decodable.
    start = data.index(b"IDAT") + 4
    length = int.from_bytes(data[start - 8 : start - 4], "big")
    data[start + 2 : start + length] = bytes(length - 2)
    data[start + length : start + length + 4] = zlib.crc32(data[start - 4 : start + length]).to_bytes(4, "big")

    assert inspect_image(io.BytesIO(bytes(data)), decode=False).format == "PNG"
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(io.BytesIO(bytes(data)))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_guests_mangled_file_only_ever_gets_image_rejected():
    rng = random.Random(20261206)
    for original in _whole_files().values():
        for _ in range(25):
            data = bytearray(original)
            for _ in range(rng.randint(1, 12)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data[: rng.randint(len(data) // 3, len(data))])
            try:
                inspect_image(io.BytesIO(data), decode=False)
            except ImageRejected as exc:
                assert str(exc)


def test_an_avif_is_not_an_accepted_format():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "AVIF")

    with pytest.raises(ImageRejected, match="not an image Eventgallery can read"):
        inspect_image(io.BytesIO(buffer.getvalue()), decode=False)


def test_an_organizers_small_upload_is_decoded_as_well_to_prove_it_whole(decoded):
    inspect_image(io.BytesIO(_whole_files()["JPEG"]))
    inspect_image(io.BytesIO(_whole_files()["WEBP"]))

    assert set(decoded) == {"JpegImageFile", "WebPImageFile"}
