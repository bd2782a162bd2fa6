"""The local engine's work on a selfie runs on the web process's CPU and holds the GIL
(dlib's CNN, for up to a second): it takes one of the process's bounded turns
(galleries/decoding.py), so that a second selfie in the same process is answered busy
instead of keeping the process's other thread, and its health check, waiting for both."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from faces.engines import get_engine
from faces.services.compare import faces_detect
from faces.services.search import face_search
from faces.tests.find_me import face_search_gallery
from galleries import decoding
from galleries.decoding import DecodeBusy
from galleries.tests.decoding_turns import held_turn
from galleries.tests.images import jpeg_bytes


@pytest.fixture
def short_wait(settings):
    settings.DECODE_WAIT_S = 0.05
    settings.DECODE_CONCURRENCY = 1
    return settings


def _selfie() -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes(320, 240))).convert("RGB")


def test_the_local_engine_computes_in_the_process():
    assert get_engine().computes_in_process


@pytest.mark.django_db
def test_a_selfie_search_waits_for_a_turn_and_is_answered_busy_when_none_comes(short_wait):
    gallery = face_search_gallery()

    with held_turn(), pytest.raises(DecodeBusy):
        face_search(gallery=gallery, selfie=_selfie())

    assert decoding.in_use() == (0, 0)


def test_detect_takes_a_turn_too(short_wait):
    with held_turn(), pytest.raises(DecodeBusy):
        faces_detect(image=_selfie())

    assert faces_detect(image=_selfie()) == []
    assert decoding.in_use() == (0, 0)
