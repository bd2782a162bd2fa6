"""Stylesheets sent inside the page (base.html's `{% inline_stylesheet %}`) rather than
linked: a phone then paints the page from its first response, without waiting a round
trip for a render-blocking stylesheet. The gallery page is cached and sent compressed,
so the few kilobytes the stylesheet weighs compressed cost less than the round trip.

The Content-Security-Policy allows no inline <style> but these: eventgallery/csp.py adds
the SHA-256 of each to style-src. The text is read from the static files once (each
time in DEBUG, so that an edit shows at once), its comments and indentation dropped;
the hash is of exactly the text sent.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

# Every stylesheet a page may inline: its hash is in the policy of every response. The
# viewer's and the favourites' are the photo page's (its viewer and heart, above the photo).
INLINED = ("galleries/site.css", "galleries/viewer.css", "favourites/favourites.css")
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_INDENT = re.compile(r"\n\s*")


@dataclass(frozen=True)
class InlineStyle:
    text: str
    csp_source: str  # 'sha256-…', for style-src


def _read(path: str) -> InlineStyle:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} not found")
    text = _INDENT.sub("\n", _COMMENT.sub("", Path(found).read_text(encoding="utf-8"))).strip()
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return InlineStyle(text=text, csp_source=f"'sha256-{digest}'")


_read_once = lru_cache(maxsize=None)(_read)


def inline_style(path: str) -> InlineStyle:
    if path not in INLINED:
        raise ValueError(f"{path} is not in eventgallery.inline_styles.INLINED: its hash would not be in the policy")
    return _read(path) if settings.DEBUG else _read_once(path)


def csp_sources() -> tuple[str, ...]:
    return tuple(inline_style(path).csp_source for path in INLINED)
