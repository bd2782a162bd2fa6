import io
import random
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from galleries.imaging import (
    Derivative,
    ImageInfo,
    ImageRejected,
    inspect_image,
    make_derivatives,
    make_middle_derivative,
)
from galleries.tests.images import (
    MARKER_COLOR,
    bmp_bytes,
    cmyk_jpeg_bytes,
    exif_bytes,
    gif_bytes,
    heic_bytes,
    huge_png_bytes,
    jpeg_bytes,
    mpo_bytes,
    png16_bytes,
    png_bytes,
    rgba_png_bytes,
    srgb_icc_profile,
    tiff_bytes,
    webp_bytes,
)

NOT_AN_IMAGE = "This file is not an image Eventgallery can read (JPEG, PNG, WebP, HEIC, GIF or TIFF)."
BACKGROUND = (200, 80, 40)


def decode(derivative: Derivative) -> Image.Image:
    im = Image.open(io.BytesIO(derivative.content))
    im.load()
    return im


def derivatives_of(data: bytes) -> tuple[Image.Image, Image.Image]:
    thumb, middle, display = make_derivatives(io.BytesIO(data))
    assert (thumb.kind, middle.kind, display.kind) == ("thumb", "middle", "display")
    return decode(thumb), decode(display)


def assert_color(actual, expected, tolerance=8):
    actual = actual if isinstance(actual, tuple) else (actual,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(expected), (actual, expected)
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (actual, expected)


def center(im: Image.Image):
    return im.getpixel((im.width // 2, im.height // 2))


# --- Files that cannot become photos ------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"Shopping list: eggs, milk\n", b"", b"\x00" * 4096, b"%PDF-1.7\n" + b"x" * 200],
    ids=["text", "empty", "zeros", "pdf"],
)
def test_it_rejects_a_file_that_is_not_an_image(data):
    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(data))

    assert str(excinfo.value) == NOT_AN_IMAGE


def test_it_rejects_an_image_format_it_does_not_accept():
    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(bmp_bytes()))

    assert str(excinfo.value) == NOT_AN_IMAGE


def test_it_rejects_a_truncated_jpeg():
    data = jpeg_bytes(1200, 900)

    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(data[: len(data) // 2]))

    assert str(excinfo.value).startswith("The file is damaged or incomplete (")


def test_it_rejects_a_jpeg_missing_only_its_last_bytes():
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(io.BytesIO(jpeg_bytes(1200, 900)[:-10]))


@pytest.mark.parametrize(
    "data",
    [png_bytes(600, 400), heic_bytes(), webp_bytes(), gif_bytes(), tiff_bytes()],
    ids=["png", "heic", "webp", "gif", "tiff"],
)
def test_it_rejects_other_truncated_formats_as_damaged(data):
    with pytest.raises(ImageRejected, match=r"^The file is damaged or incomplete \(.+\)\.$"):
        inspect_image(io.BytesIO(data[: len(data) // 2]))


def test_it_refuses_a_decompression_bomb_with_the_megapixel_message():
    # 20000 x 20000 pixels in about 50 KB: refused from the header, never decoded.
    bomb = huge_png_bytes(20_000, 20_000)
    assert len(bomb) < 200_000

    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(bomb))

    assert str(excinfo.value) == "This image is too large: 400 megapixels, at most 150."


def test_make_derivatives_refuses_a_decompression_bomb_too():
    with pytest.raises(ImageRejected, match="400 megapixels"):
        make_derivatives(io.BytesIO(huge_png_bytes(20_000, 20_000)))


def test_it_refuses_an_image_above_the_configured_limit(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000

    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(jpeg_bytes(1500, 1000)))

    assert str(excinfo.value) == "This image is too large: 1.5 megapixels, at most 1."


def test_it_accepts_an_image_exactly_at_the_limit(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000

    assert inspect_image(io.BytesIO(jpeg_bytes(1000, 1000))).width == 1000


def test_pillows_bomb_warning_does_not_refuse_what_the_setting_allows(monkeypatch):
    # Pillow warns above its own limit (89 MP by default), which is below ours.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)

    info = inspect_image(io.BytesIO(png_bytes(400, 300)))

    assert (info.width, info.height) == (400, 300)


def test_pillows_bomb_error_names_the_limit_that_really_applies(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)

    with pytest.raises(ImageRejected) as excinfo:
        inspect_image(io.BytesIO(png_bytes(500, 500)))

    assert str(excinfo.value) == "This image is too large: 0.3 megapixels, at most 0.2."


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_it_only_ever_raises_image_rejected_for_mangled_files():
    rng = random.Random(20261123)
    originals = [jpeg_bytes(64, 48, make="Canon", taken_at="2026:11:23 10:00:00"), png_bytes(64, 48), gif_bytes(32, 24)]
    originals += [tiff_bytes(32, 24), webp_bytes(64, 48), heic_bytes(64, 48)]
    for original in originals:
        for _ in range(15):
            data = bytearray(original)
            for _ in range(rng.randint(1, 12)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data[: rng.randint(len(data) // 3, len(data))])
            for function in (inspect_image, make_derivatives):
                try:
                    function(io.BytesIO(data))
                except ImageRejected as exc:
                    assert str(exc)


def test_it_does_not_switch_on_pillows_load_truncated_images():
    with pytest.raises(ImageRejected):
        make_derivatives(io.BytesIO(jpeg_bytes(800, 600)[:2000]))

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_it_rewinds_the_file_whether_it_accepts_or_refuses_it():
    good, bad = io.BytesIO(jpeg_bytes()), io.BytesIO(b"not an image")
    good.read(100)

    inspect_image(good)
    with pytest.raises(ImageRejected):
        inspect_image(bad)

    assert (good.tell(), bad.tell()) == (0, 0)


# --- What a photo says about itself -------------------------------------------------


def test_it_reads_format_size_date_and_camera():
    data = jpeg_bytes(640, 480, taken_at="2026:11:21 14:03:05", make="Canon\x00\x00", model="  Canon EOS R6 \x00")

    info = inspect_image(io.BytesIO(data))

    assert info == ImageInfo(
        format="JPEG",
        width=640,
        height=480,
        taken_at=datetime(2026, 11, 21, 14, 3, 5),
        camera_make="Canon",
        camera_model="Canon EOS R6",
    )
    assert info.taken_at.tzinfo is None


def test_it_reads_an_uploaded_file():
    upload = SimpleUploadedFile("IMG_0001.JPG", jpeg_bytes(make="NIKON CORPORATION"), content_type="image/jpeg")

    assert inspect_image(upload).camera_make == "NIKON CORPORATION"
    assert upload.tell() == 0


@pytest.mark.parametrize(
    ("offset", "utcoffset"),
    [("+02:00", timedelta(hours=2)), ("-05:30", -timedelta(hours=5, minutes=30)), ("+00:00", timedelta(0))],
)
def test_it_makes_taken_at_aware_when_the_camera_recorded_its_offset(offset, utcoffset):
    info = inspect_image(io.BytesIO(jpeg_bytes(taken_at="2026:11:21 14:03:05", offset=offset)))

    assert info.taken_at.replace(tzinfo=None) == datetime(2026, 11, 21, 14, 3, 5)
    assert info.taken_at.utcoffset() == utcoffset


def test_it_falls_back_to_the_modification_date_without_datetimeoriginal():
    info = inspect_image(io.BytesIO(jpeg_bytes(modified_at="2025:06:01 09:30:00")))

    assert info.taken_at == datetime(2025, 6, 1, 9, 30)


def test_it_prefers_datetimeoriginal_to_the_modification_date():
    data = jpeg_bytes(taken_at="2025:06:01 09:30:00", modified_at="2026:01:01 00:00:00")

    assert inspect_image(io.BytesIO(data)).taken_at == datetime(2025, 6, 1, 9, 30)


@pytest.mark.parametrize("value", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday", "2026:13:45 25:61:00"])
def test_it_ignores_a_date_that_is_not_one(value):
    assert inspect_image(io.BytesIO(jpeg_bytes(taken_at=value))).taken_at is None


def test_it_reports_empty_camera_and_no_date_without_exif():
    info = inspect_image(io.BytesIO(png_bytes()))

    assert (info.format, info.taken_at, info.camera_make, info.camera_model) == ("PNG", None, "", "")


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_it_reports_the_displayed_size_of_a_rotated_photo(orientation):
    info = inspect_image(io.BytesIO(jpeg_bytes(800, 600, orientation=orientation)))

    assert (info.width, info.height) == (600, 800)


@pytest.mark.parametrize("orientation", [1, 2, 3, 4])
def test_it_keeps_the_stored_size_when_orientation_does_not_rotate(orientation):
    info = inspect_image(io.BytesIO(jpeg_bytes(800, 600, orientation=orientation)))

    assert (info.width, info.height) == (800, 600)


def test_it_reads_exif_from_a_png():
    data = png_bytes(300, 200, exif=exif_bytes(orientation=6, taken_at="2024:02:29 12:00:00", model="Pixel 9"))

    info = inspect_image(io.BytesIO(data))

    assert (info.width, info.height) == (200, 300)
    assert (info.taken_at, info.camera_model) == (datetime(2024, 2, 29, 12), "Pixel 9")


@pytest.mark.parametrize(
    ("data", "image_format"),
    [
        (png_bytes(), "PNG"),
        (webp_bytes(), "WEBP"),
        (gif_bytes(), "GIF"),
        (tiff_bytes(), "TIFF"),
        (mpo_bytes(), "MPO"),
        (heic_bytes(), "HEIF"),
        (jpeg_bytes(progressive=True), "JPEG"),
    ],
    ids=["png", "webp", "gif", "tiff", "mpo", "heic", "progressive-jpeg"],
)
def test_it_accepts_every_supported_format(data, image_format):
    assert inspect_image(io.BytesIO(data)).format == image_format


def test_it_reads_an_iphone_heic():
    data = heic_bytes(
        640, 480, orientation=6, taken_at="2026:11:21 14:03:05", offset="-08:00", make="Apple", model="iPhone 15 Pro"
    )

    info = inspect_image(io.BytesIO(data))

    assert (info.format, info.width, info.height) == ("HEIF", 480, 640)
    assert info.taken_at == datetime(2026, 11, 21, 14, 3, 5).replace(tzinfo=info.taken_at.tzinfo)
    assert info.taken_at.utcoffset() == -timedelta(hours=8)
    assert (info.camera_make, info.camera_model) == ("Apple", "iPhone 15 Pro")


# --- Derivatives --------------------------------------------------------------------


def test_it_makes_a_thumb_a_middle_and_a_display_jpeg_of_the_configured_sizes():
    derivatives = make_derivatives(io.BytesIO(jpeg_bytes(4000, 3000)))

    assert [(d.kind, d.width, d.height) for d in derivatives] == [
        ("thumb", 400, 300),
        ("middle", 1024, 768),
        ("display", 1600, 1200),
    ]
    for derivative in derivatives:
        im = decode(derivative)
        assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (derivative.width, derivative.height))
        assert (derivative.content_type, derivative.extension) == ("image/jpeg", "jpg")
        assert_color(center(im), BACKGROUND)


def test_it_rounds_the_short_edge_and_follows_the_settings(settings):
    settings.PHOTO_THUMB_SIZE, settings.PHOTO_MIDDLE_SIZE, settings.PHOTO_DISPLAY_SIZE = 200, 700, 1000

    thumb, middle, display = make_derivatives(io.BytesIO(jpeg_bytes(3000, 2000)))

    assert [(d.width, d.height) for d in (thumb, middle, display)] == [(200, 133), (700, 467), (1000, 667)]


def test_a_portrait_photos_middle_image_is_upright_and_as_tall_as_the_setting():
    middle = make_derivatives(io.BytesIO(jpeg_bytes(4000, 3000, orientation=6, marker=True)))[1]

    im = decode(middle)
    assert (middle.kind, im.size) == ("middle", (768, 1024))
    assert_color(im.getpixel((im.width - 20, 20)), MARKER_COLOR, tolerance=12)


def test_the_middle_image_alone_is_the_one_make_derivatives_makes():
    data = jpeg_bytes(4000, 3000)

    alone = make_middle_derivative(io.BytesIO(data))

    middle = make_derivatives(io.BytesIO(data))[1]
    assert (alone.kind, alone.width, alone.height, alone.content) == ("middle", 1024, 768, middle.content)


def test_it_never_upscales_a_small_image():
    thumb, display = derivatives_of(jpeg_bytes(300, 200))

    assert thumb.size == display.size == (300, 200)


def test_it_shrinks_only_the_thumb_of_a_medium_image():
    thumb, display = derivatives_of(jpeg_bytes(1000, 800))

    assert (thumb.size, display.size) == ((400, 320), (1000, 800))


def test_it_shrinks_a_large_png_that_has_no_draft_mode():
    thumb, display = derivatives_of(png_bytes(5000, 2500))

    assert (thumb.size, display.size) == ((400, 200), (1600, 800))
    assert_color(center(display), BACKGROUND)


@pytest.mark.parametrize("orientation", [6, 8])
def test_it_turns_a_rotated_photo_upright(orientation):
    thumb, display = derivatives_of(jpeg_bytes(2400, 1800, orientation=orientation, marker=True))

    assert (thumb.size, display.size) == ((300, 400), (1200, 1600))
    for im in (thumb, display):
        # Orientation 6: the stored top-left corner shows at the top right; 8: bottom left.
        corner = (im.width - 10, 10) if orientation == 6 else (10, im.height - 10)
        opposite = (10, im.height - 10) if orientation == 6 else (im.width - 10, 10)
        assert_color(im.getpixel(corner), MARKER_COLOR, tolerance=12)
        assert_color(im.getpixel(opposite), BACKGROUND, tolerance=12)


def test_it_mirrors_a_photo_with_orientation_2():
    _, display = derivatives_of(jpeg_bytes(800, 600, orientation=2, marker=True))

    assert display.size == (800, 600)
    assert_color(display.getpixel((790, 10)), MARKER_COLOR, tolerance=12)
    assert_color(display.getpixel((10, 10)), BACKGROUND, tolerance=12)


def test_it_converts_a_cmyk_jpeg_to_rgb():
    thumb, display = derivatives_of(cmyk_jpeg_bytes(800, 600))

    for im in (thumb, display):
        assert im.mode == "RGB"
        assert_color(center(im), (255, 0, 0), tolerance=10)


@pytest.mark.parametrize(("level", "grey"), [(0x8000, 128), (0x4000, 64), (0xFFFF, 255), (0, 0)])
def test_it_scales_a_16_bit_png_to_8_bits_instead_of_clipping_it(level, grey):
    thumb, display = derivatives_of(png16_bytes(640, 480, level=level))

    for im in (thumb, display):
        assert im.mode in ("L", "RGB")
        assert_color(center(im.convert("L")), grey, tolerance=2)


def test_it_scales_a_16_bit_tiff_too():
    _, display = derivatives_of(tiff_bytes(mode="I;16", color=0x8000))

    assert_color(center(display.convert("L")), 128, tolerance=2)


def test_it_flattens_a_translucent_png_onto_white():
    thumb, display = derivatives_of(rgba_png_bytes(800, 600, color=(255, 0, 0, 128)))

    for im in (thumb, display):
        assert im.mode == "RGB"
        assert_color(center(im), (255, 127, 127))


def test_it_turns_fully_transparent_pixels_white():
    _, display = derivatives_of(webp_bytes(mode="RGBA", color=(0, 0, 255, 0)))

    assert_color(center(display), (255, 255, 255), tolerance=2)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png_bytes(mode="P", color=1), (255, 0, 0)),
        (png_bytes(mode="P", color=1, transparency=1), (255, 255, 255)),
        (png_bytes(mode="P", color=1, transparency=0), (255, 0, 0)),
        (png_bytes(mode="LA", color=(0, 128)), (127, 127, 127)),
        (png_bytes(mode="L", color=7, transparency=7), (255, 255, 255)),
        (png_bytes(mode="RGB", color=(1, 2, 3), transparency=(1, 2, 3)), (255, 255, 255)),
        (png_bytes(mode="1", color=0), (0, 0, 0)),
        (png_bytes(mode="1", color=1), (255, 255, 255)),
        (png_bytes(mode="L", color=90), (90, 90, 90)),
    ],
    ids=["P", "P-transparent", "P-other-transparent", "LA", "L-trns", "RGB-trns", "1-black", "1-white", "L"],
)
def test_it_handles_every_png_mode(data, expected):
    thumb, display = derivatives_of(data)

    for im in (thumb, display):
        assert im.mode in ("L", "RGB")
        assert_color(center(im.convert("RGB")), expected, tolerance=3)


def test_it_uses_the_first_frame_of_an_animated_gif():
    _, display = derivatives_of(gif_bytes(frames=((255, 0, 0), (0, 255, 0), (0, 0, 255))))

    assert_color(center(display), (255, 0, 0), tolerance=6)


def test_it_processes_an_iphone_heic_upright():
    data = heic_bytes(2400, 1800, orientation=6, make="Apple", model="iPhone 15", marker=True)

    thumb, display = derivatives_of(data)

    assert (thumb.size, display.size) == ((300, 400), (1200, 1600))
    for im in (thumb, display):
        assert (im.format, im.mode) == ("JPEG", "RGB")
        assert_color(im.getpixel((im.width - 10, 10)), MARKER_COLOR, tolerance=16)
        assert_color(im.getpixel((10, im.height - 10)), BACKGROUND, tolerance=16)
        assert "exif" not in im.info


@pytest.mark.parametrize(
    "data",
    [mpo_bytes(2000, 1500), jpeg_bytes(2000, 1500, progressive=True), jpeg_bytes(2000, 1500, mode="L", color=100)],
    ids=["mpo", "progressive", "greyscale"],
)
def test_it_processes_other_jpeg_flavours(data):
    thumb, display = derivatives_of(data)

    assert (thumb.size, display.size) == ((400, 300), (1600, 1200))


def test_it_strips_exif_but_keeps_the_icc_profile():
    icc_profile = srgb_icc_profile()
    data = jpeg_bytes(2000, 1500, make="Canon", taken_at="2026:11:21 14:03:05", orientation=1, icc_profile=icc_profile)

    for im in derivatives_of(data):
        assert "exif" not in im.info
        assert not im.getexif()
        assert im.info.get("icc_profile") == icc_profile


def test_it_drops_an_icc_profile_that_no_longer_matches_the_colours():
    # An RGB profile on a greyscale JPEG would make viewers misread it.
    data = png_bytes(mode="L", color=90, icc_profile=srgb_icc_profile())

    for im in derivatives_of(data):
        assert im.mode == "L"
        assert "icc_profile" not in im.info


def test_it_never_modifies_the_original(tmp_path):
    data = jpeg_bytes(2000, 1500, orientation=6, make="Canon")
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(data)
    fileobj = io.BytesIO(data)

    make_derivatives(fileobj)
    with path.open("rb") as on_disk:
        inspect_image(on_disk)
        make_derivatives(on_disk)
        assert on_disk.tell() == 0

    assert fileobj.getvalue() == data
    assert fileobj.tell() == 0
    assert path.read_bytes() == data


@pytest.mark.parametrize(
    "data",
    [b"not an image", b"", jpeg_bytes(1200, 900)[:3000], bmp_bytes()],
    ids=["text", "empty", "truncated", "bmp"],
)
def test_make_derivatives_rejects_what_inspect_image_rejects(data):
    with pytest.raises(ImageRejected):
        make_derivatives(io.BytesIO(data))
