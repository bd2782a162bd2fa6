"""galleries/watermark.py: the mark drawn on an image, and the logo as it is stored."""

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from galleries import watermark
from galleries.tests.images import jpeg_bytes, png_bytes, rgba_png_bytes


def _difference(a: Image.Image, b: Image.Image, box) -> float:
    """Mean difference of the two images' pixels in `box`, over the channels."""
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / len(a.getbands())


def _quarters(size):
    width, height = size
    return {
        "top-left": (0, 0, width // 2, height // 2),
        "top-right": (width // 2, 0, width, height // 2),
        "bottom-left": (0, height // 2, width // 2, height),
        "bottom-right": (width // 2, height // 2, width, height),
    }


@pytest.mark.parametrize("position", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_it_draws_the_text_in_the_corner_asked_for_and_nowhere_else(position):
    photo = Image.new("RGB", (1600, 1067), (90, 120, 150))

    marked = watermark.apply(photo, watermark.Mark(text="© Studio Lumen", position=position))

    for quarter, box in _quarters(photo.size).items():
        if quarter == position:
            assert _difference(photo, marked, box) > 0.5
        else:
            assert _difference(photo, marked, box) == 0
    assert photo.getpixel((800, 533)) == (90, 120, 150)  # the image given is left as it was


def test_the_text_has_white_letters_and_a_dark_outline_so_it_reads_on_any_photo():
    for background in ((250, 250, 250), (5, 5, 5)):
        photo = Image.new("RGB", (1024, 683), background)
        marked = watermark.apply(photo, watermark.Mark(text="PROOF", position="centre", opacity=100, size=40))
        colours = {colour for _, colour in marked.getcolors(1024 * 683)}
        assert any(min(c) > 240 for c in colours) and any(max(c) < 15 for c in colours)


def test_the_mark_fills_its_share_of_the_image_whatever_the_image_size():
    def mark_box(size):
        photo = Image.new("RGB", size, (0, 0, 0))
        marked = watermark.apply(photo, watermark.Mark(text="Lumen", position="centre", opacity=100, size=30))
        return marked.getbbox()

    small, large = mark_box((1024, 683)), mark_box((1600, 1067))
    small_width, large_width = small[2] - small[0], large[2] - large[0]
    assert 0.25 * 1024 < small_width <= 0.30 * 1024 + 1
    assert abs(large_width / 1600 - small_width / 1024) < 0.01


def test_the_opacity_blends_the_mark_with_the_photo():
    photo = Image.new("RGB", (800, 600), (0, 0, 0))
    faint = watermark.apply(photo, watermark.Mark(text="Lumen", opacity=20, size=40))
    solid = watermark.apply(photo, watermark.Mark(text="Lumen", opacity=100, size=40))
    assert max(max(c) for _, c in faint.getcolors(800 * 600)) <= 255 * 0.2 + 1
    assert max(max(c) for _, c in solid.getcolors(800 * 600)) == 255


def test_a_logo_keeps_its_shape_and_transparency():
    logo = watermark.logo_open(watermark.logo_normalise(io.BytesIO(rgba_png_bytes(400, 100, color=(255, 0, 0, 255)))))
    photo = Image.new("RGB", (1000, 1000), (0, 0, 255))

    marked = watermark.apply(photo, watermark.Mark(logo=logo, position="bottom-left", opacity=100, size=20))

    left, top, right, bottom = ImageChops.difference(photo, marked).getbbox()
    assert (right - left, bottom - top) == (200, 50)  # 20 % of the width; its 4:1 kept
    assert (left, bottom) == (30, 1000 - 30)  # 3 % margins
    assert marked.getpixel((100, 960)) == (255, 0, 0)


def test_a_grey_photo_stays_grey():
    photo = Image.new("L", (800, 600), 128)
    marked = watermark.apply(photo, watermark.Mark(text="Lumen"))
    assert marked.mode == "L" and marked.getbbox() is not None
    assert _difference(photo, marked, (400, 300, 800, 600)) > 1


def test_the_logo_is_stored_as_a_png_no_larger_than_it_needs():
    stored = watermark.logo_normalise(io.BytesIO(jpeg_bytes(4000, 2000)))
    logo = Image.open(io.BytesIO(stored))
    assert (logo.format, logo.mode, logo.size) == ("PNG", "RGBA", (1000, 500))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a logo", "The logo must be a PNG, JPEG, WebP or GIF image."),
        (jpeg_bytes()[:300], "The logo's file is damaged or incomplete"),
        (rgba_png_bytes(color=(0, 0, 0, 0)), "The logo is fully transparent"),
        (png_bytes(6000, 5000), "The logo is 6000×5000 pixels; the limit is 25 megapixels."),
        (b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "The logo's file is 5.0 MB; the limit is 5 MB."),
    ],
)
def test_a_file_that_cannot_be_a_logo_is_refused_with_the_reason(content, message):
    with pytest.raises(watermark.LogoRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        watermark.logo_normalise(io.BytesIO(content))
