"""dlib's CNN face detector, run in a helper process of its own.

The CNN (for a selfie in which the HOG detector finds no face) keeps the GIL for the
whole of its 0.7-0.9 s, more on a busy machine: in a web process, every other thread
of it (a health check, a page) would wait that long. Here the asking thread waits on a
pipe, which lets them run. One helper per process that asks, started on first use as
`python -m faces.engines.local.cnn_server` with only the CNN's model loaded; it reads
images from its stdin and writes the boxes to its stdout, and ends when its parent
does (its stdin closes). A helper that died is replaced at the next call."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

# (left, top, right, bottom, confidence) in the pixels of the image given.
Box = tuple[int, int, int, int, float]

_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_lock = threading.Lock()
_helper: subprocess.Popen | None = None


def cnn_boxes(pixels: np.ndarray) -> list[Box]:
    """The faces the CNN finds in an RGB image (height x width x 3, uint8), computed in
    the helper process."""
    with _lock:
        for attempt in range(2):
            helper = _started()
            try:
                pickle.dump(np.ascontiguousarray(pixels), helper.stdin)
                helper.stdin.flush()
                return pickle.load(helper.stdout)
            except (BrokenPipeError, EOFError, OSError):
                _stop(helper)
                if attempt:
                    raise
    raise AssertionError("unreachable")


def _started() -> subprocess.Popen:
    global _helper
    if _helper is None or _helper.poll() is not None:
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        }
        _helper = subprocess.Popen(
            [sys.executable, "-m", "faces.engines.local.cnn_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            cwd=_PROJECT_ROOT,
        )
    return _helper


def _stop(helper: subprocess.Popen) -> None:
    global _helper
    if _helper is helper:
        _helper = None
    helper.kill()
    helper.wait()
