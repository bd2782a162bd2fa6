"""The justified rows' numbers (galleries/layout.py): aspect ratios kept within reason,
and `sizes` that follow the rows, never asking a phone for the display image."""

import re

import pytest

from galleries import layout


@pytest.mark.parametrize(
    ("width", "height", "aspect"), [(3000, 2000, 1.5), (2000, 3000, 2 / 3), (9000, 1000, 3.0), (100, 1000, 1 / 3)]
)
def test_it_keeps_the_aspect_ratio_within_one_to_three(width, height, aspect):
    assert layout.aspect_ratio(width, height) == pytest.approx(aspect)


@pytest.mark.parametrize("aspect", [1 / 3, 0.6667, 1.0, 1.5, 1.7778, 3.0])
def test_a_phone_is_never_asked_to_take_more_than_the_middle_image_covers_at_3x(aspect):
    phone = layout.tile_sizes(aspect).rsplit(", ", 1)[1]

    assert re.fullmatch(r"\d+px", phone)
    assert int(phone[:-2]) * 3 <= 1024


def test_its_sizes_follow_the_row_heights():
    assert layout.tile_sizes(1.5) == (
        "(min-width: 1200px) min(450px, 100vw - 48px), (min-width: 600px) min(375px, 100vw - 48px), 206px"
    )
