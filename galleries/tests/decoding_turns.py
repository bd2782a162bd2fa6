"""Helpers for tests of the web process's decodes: a decode turn held by another
thread (as another request of the same process holds it), and a record of decodes."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from PIL import Image, ImageFile
from PIL.JpegImagePlugin import JpegImageFile
from PIL.MpoImagePlugin import MpoImageFile

from galleries.decoding import decode_turn
from galleries.imaging import _OPENERS


def record_decodes(monkeypatch) -> list[str]:
    """The images whose pixels are decoded from now on (any opened image's load), by class name."""
    calls: list[str] = []
    Image.init()  # every plugin registered, as a first Image.open would
    openers = [Image.OPEN[name][0] for name in _OPENERS]
    classes = {ImageFile.ImageFile, JpegImageFile, MpoImageFile, *(cls for cls in openers if isinstance(cls, type))}
    for cls in classes:
        for klass in cls.__mro__:
            # Images opened from a file: not those a test makes to encode.
            if "load" in vars(klass) and issubclass(klass, ImageFile.ImageFile):
                real = vars(klass)["load"]
                monkeypatch.setattr(klass, "load", _recorded(real, calls))
    return calls


def _recorded(load, calls):
    def recorded(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return load(self, *args, **kwargs)

    return recorded


@contextmanager
def held_turn(cost_bytes: int = 1024 * 1024):
    """A decode turn held by another thread (another request of the process) for the block."""
    taken, release = threading.Event(), threading.Event()
    failure = []

    def hold():
        try:
            with decode_turn(cost_bytes=cost_bytes):
                taken.set()
                release.wait(30)
        except Exception as exc:  # reported by the assertion below
            failure.append(exc)
            taken.set()

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(30)
    try:
        assert not failure, failure
        yield
    finally:
        release.set()
        thread.join(30)
