"""The web process's image decodes, bounded per process.

A web process (a gunicorn worker of 2 threads) decodes images only for what must be
answered at once: a Find me selfie, the compare and detect API, an organizer's upload
check. Each decode first takes a turn here:

- at most DECODE_CONCURRENCY decodes run at once in the process (1 by default: with
  two threads, one is always left for health checks and pages);
- their estimated memory (image_headers.decode_cost, from the header, before any pixel is
  decoded) adds up to at most DECODE_MEMORY_MB. A decode that could never fit is not
  this module's to refuse: the caller checks `fits` first and says why;
- a decode that cannot get its turn within DECODE_WAIT_S is refused with DecodeBusy,
  which transports answer with a 503 and Retry-After ("busy, try again in a moment"):
  the Find me page, the Find me API, compare and detect. An organizer's upload check
  is never refused for it: it checks the file's structure instead and leaves the
  decode to the worker (galleries/imaging.py). The wait is kept short because a
  waiting request holds a thread too.

Guests' uploads are never decoded in the web process (the worker does it). The local
face engine's work on a selfie (or for compare and detect) takes a turn as well, of no
memory (faces.services.search.engine_turn): dlib's CNN holds the GIL for up to a second.

The turns bound memory and CPU per process, not the GIL: a decoder that holds it
(libwebp for a moment per frame) still pauses the process's other thread meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

# What a refused decode's answer asks the client to wait: a decode of the largest
# selfie takes about a second, so a moment later the turn is most likely free.
RETRY_AFTER_S = 5
BUSY_MESSAGE = "The server is busy reading other images. Please try again in a moment."


class DecodeBusy(Exception):
    """No turn to decode within DECODE_WAIT_S; str(exc) is a message for people."""

    retry_after_s = RETRY_AFTER_S

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)


_condition = threading.Condition()
_running = 0
_reserved_bytes = 0


def budget_bytes() -> int:
    return settings.DECODE_MEMORY_MB * 1024 * 1024


def fits(cost_bytes: int) -> bool:
    """Whether a decode of this cost can ever get a turn in this process."""
    return cost_bytes <= budget_bytes()


@contextmanager
def decode_turn(*, cost_bytes: int) -> Iterator[None]:
    """Holds one of the process's decode turns, and `cost_bytes` of its memory budget,
    for the block. Raises DecodeBusy when none is free within DECODE_WAIT_S (or at
    once for a cost that exceeds the whole budget)."""
    global _running, _reserved_bytes
    if not fits(cost_bytes):
        raise DecodeBusy()
    with _condition:
        admitted = _condition.wait_for(
            lambda: _running < settings.DECODE_CONCURRENCY and _reserved_bytes + cost_bytes <= budget_bytes(),
            timeout=settings.DECODE_WAIT_S,
        )
        if not admitted:
            raise DecodeBusy()
        _running += 1
        _reserved_bytes += cost_bytes
    try:
        yield
    finally:
        with _condition:
            _running -= 1
            _reserved_bytes -= cost_bytes
            _condition.notify_all()


def in_use() -> tuple[int, int]:
    """(decodes running, bytes reserved) in this process now."""
    with _condition:
        return _running, _reserved_bytes
