"""dlib's CNN runs in a helper process (faces/engines/local/cnn_process.py): it finds
what the CNN finds in this process, the asking process's other threads run meanwhile
(the CNN holds the GIL throughout), and a helper that died is replaced."""

from __future__ import annotations

import threading
import time

import numpy as np

from faces.engines.local import cnn_process
from faces.engines.local.cnn_process import cnn_boxes
from faces.engines.local.detection import _CNN_MAX_SIDE
from faces.engines.local.models import cnn_detector
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES


def _tilted_selfie() -> np.ndarray:
    selfie = face_images.selfie_of(face_images.group_photo(), GROUP_PHOTO_FACE_CENTRES[3], face_px=110, angle=50)
    selfie.thumbnail((_CNN_MAX_SIDE, _CNN_MAX_SIDE))
    return np.asarray(selfie.convert("RGB"))


def test_the_helper_finds_what_the_cnn_finds_here():
    pixels = _tilted_selfie()
    here = [(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()) for d in cnn_detector()(pixels, 0)]

    boxes = cnn_boxes(pixels)

    assert len(here) == 1
    assert [box[:4] for box in boxes] == here
    assert boxes[0][4] > 0


def test_the_asking_process_keeps_running_its_other_threads_meanwhile():
    pixels = _tilted_selfie()
    cnn_boxes(pixels)  # the helper started
    gaps, done = [], threading.Event()

    def tick():
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    cnn_boxes(pixels)
    took = time.perf_counter() - started
    done.set()
    ticker.join()

    # In this process the CNN would keep the GIL, and the ticker waiting, for all of `took`.
    assert max(gaps) < took / 2, (max(gaps), took)


def test_a_helper_that_died_is_replaced():
    pixels = _tilted_selfie()
    cnn_boxes(pixels)
    helper = cnn_process._helper
    helper.kill()
    helper.wait()

    assert len(cnn_boxes(pixels)) == 1
    assert cnn_process._helper is not helper and cnn_process._helper.poll() is None
