"""A web process's decodes take turns (galleries/decoding.py): DECODE_CONCURRENCY at once,
within DECODE_MEMORY_MB together, and one that gets no turn within DECODE_WAIT_S is
refused as busy; a selfie's decode goes through them, a JPEG's at a reduced scale."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from faces.services.search import read_image
from galleries import decoding
from galleries.decoding import DecodeBusy, decode_turn
from galleries.imaging import ImageTooLarge, inspect_image
from galleries.tests.decoding_turns import held_turn
from galleries.tests.images import jpeg_bytes, png_bytes, webp_bytes

MB = 1024 * 1024


@pytest.fixture
def short_wait(settings):
    settings.DECODE_WAIT_S = 0.05
    settings.DECODE_CONCURRENCY = 1
    settings.DECODE_MEMORY_MB = 512
    return settings


def test_a_decode_waits_its_turn_and_is_refused_as_busy_when_none_comes(short_wait):
    with held_turn(10 * MB):
        assert decoding.in_use() == (1, 10 * MB)
        with pytest.raises(DecodeBusy) as excinfo, decode_turn(cost_bytes=MB):
            pass

    assert str(excinfo.value) == "The server is busy reading other images. Please try again in a moment."
    assert excinfo.value.retry_after_s == 5
    assert decoding.in_use() == (0, 0)
    with decode_turn(cost_bytes=MB):
        assert decoding.in_use() == (1, MB)


def test_a_decode_gets_the_turn_another_gives_back_while_it_waits(short_wait):
    short_wait.DECODE_WAIT_S = 30
    order = []
    with held_turn(MB):
        waiter = threading.Thread(target=lambda: _decode_and_note(order))
        waiter.start()
        order.append("released")
    waiter.join(30)

    assert order == ["released", "decoded"]


def _decode_and_note(order):
    with decode_turn(cost_bytes=MB):
        order.append("decoded")


def test_decodes_share_the_memory_budget(short_wait):
    short_wait.DECODE_CONCURRENCY = 3
    short_wait.DECODE_MEMORY_MB = 100

    with held_turn(70 * MB):
        with decode_turn(cost_bytes=30 * MB):
            assert decoding.in_use() == (2, 100 * MB)
        with pytest.raises(DecodeBusy), decode_turn(cost_bytes=31 * MB):
            pass


def test_a_decode_larger_than_the_whole_budget_never_waits(short_wait):
    short_wait.DECODE_WAIT_S = 30

    with pytest.raises(DecodeBusy), decode_turn(cost_bytes=513 * MB):
        pass
    assert not decoding.fits(513 * MB) and decoding.fits(512 * MB)


def test_a_selfie_is_refused_as_busy_while_another_decodes(short_wait):
    with held_turn(MB), pytest.raises(DecodeBusy):
        read_image(io.BytesIO(jpeg_bytes(640, 480)))

    assert read_image(io.BytesIO(jpeg_bytes(640, 480))).size == (640, 480)


def test_an_organizers_upload_is_left_to_the_worker_rather_than_refused_when_busy(short_wait):
    # The upload check does not wait for a turn: the file's structure is checked
    # instead and the worker, which decodes it anyway, finds what is wrong.
    with held_turn(MB):
        info = inspect_image(io.BytesIO(jpeg_bytes(640, 480)))

    assert (info.format, info.width) == ("JPEG", 640)


def test_a_jpeg_selfie_is_decoded_at_a_reduced_scale_within_the_budget(settings):
    # 24 MP: decoded whole it would take some 170 MB; at half scale (3000 x 2000 still
    # covers the 2048 px the engines read) it fits in 64 MB. The same PNG does not.
    settings.DECODE_MEMORY_MB = 64

    image = read_image(io.BytesIO(jpeg_bytes(6000, 4000)))

    assert image.size == (2048, 1365)
    with pytest.raises(ImageTooLarge) as excinfo:
        read_image(io.BytesIO(png_bytes(6000, 4000)))
    assert str(excinfo.value) == "This image is too large: 24 megapixels, at most 9.5 for a PNG here."


def test_a_webp_selfie_that_would_take_more_than_the_budget_is_refused_with_its_limit(settings):
    settings.DECODE_MEMORY_MB = 16

    with pytest.raises(ImageTooLarge) as excinfo:
        read_image(io.BytesIO(webp_bytes(2000, 1000)))

    # 2 MP of WebP cost 19 bytes a pixel (the decoded image, libwebp's buffers, a copy).
    assert str(excinfo.value) == "This image is too large: 2 megapixels, at most 0.8 for a WebP here."


def test_a_progressive_jpeg_counts_the_coefficients_libjpeg_keeps_at_full_size(settings):
    # 4096 x 3072 read at half scale: 3 MP decoded either way, but a progressive JPEG's
    # coefficients are kept for all 12.6 MP (3 bytes a pixel at 4:2:0).
    settings.DECODE_MEMORY_MB = 32
    baseline, progressive = io.BytesIO(), io.BytesIO()
    flat = Image.new("RGB", (4096, 3072), (200, 80, 40))
    flat.save(baseline, "JPEG", quality=80)
    flat.save(progressive, "JPEG", quality=80, progressive=True)

    assert read_image(io.BytesIO(baseline.getvalue())).size == (2048, 1536)
    with pytest.raises(
        ImageTooLarge, match=r"^This image is too large: 12.6 megapixels, at most [\d.]+ for a JPEG here\.$"
    ):
        read_image(io.BytesIO(progressive.getvalue()))
