"""A decode turn held by another thread, as another request of the same process holds it."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from galleries.decoding import decode_turn


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
