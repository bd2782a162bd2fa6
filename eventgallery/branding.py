"""The site's name, logo and accent colour (SITE_NAME, SITE_LOGO_URL,
SITE_ACCENT_COLOR), and the colours the pages derive from the accent so that any
accent an organizer picks stays readable (WCAG AA):

- `on_accent`: the text on an accent-coloured button, black or white, whichever
  contrasts more (one of the two always reaches 4.5:1);
- `accent_text_light` / `accent_text_dark`: the accent as text (links) on the light
  and the dark page background, darkened or lightened just enough for 4.5:1.

The pages get them through the context processor `branding`, as CSS custom
properties in base.html's inline style attribute (allowed by the CSP).
"""

from __future__ import annotations

import functools
import re

from django.conf import settings

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The page backgrounds of static/galleries/site.css, light and dark.
LIGHT_BACKGROUND = "#faf9f7"
DARK_BACKGROUND = "#1f1d1b"  # the lighter of the dark surfaces (cards, inputs): the worst case
TEXT_CONTRAST = 4.6  # AA asks 4.5; a little over, for rounding


def parse_hex_color(value: str) -> str:
    """`#rrggbb` in lower case; ValueError for anything else (`#abc` is spelt out)."""
    value = value.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    if not HEX_COLOR.fullmatch(value):
        raise ValueError(f"{value!r} is not a colour like #b45309")
    return value.lower()


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(max(0, min(255, c))):02x}" for c in rgb)


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(background: str) -> str:
    """Black or white text, whichever contrasts more with the background."""
    black, white = "#000000", "#ffffff"  # one of the two always reaches 4.58:1
    return white if contrast_ratio(white, background) >= contrast_ratio(black, background) else black


def text_shade(color: str, *, background: str, minimum: float = TEXT_CONTRAST) -> str:
    """The colour, mixed towards black (on a light background) or white (on a dark
    one) in small steps until it reaches `minimum` contrast with the background."""
    target = (0, 0, 0) if relative_luminance(background) > 0.18 else (255, 255, 255)
    rgb = _rgb(color)
    for step in range(21):
        mixed = _hex(c + (t - c) * step / 20 for c, t in zip(rgb, target, strict=True))
        if contrast_ratio(mixed, background) >= minimum:
            return mixed
    return _hex(target)


@functools.cache
def colors(accent: str) -> dict[str, str]:
    return {
        "accent": accent,
        "on_accent": readable_on(accent),
        "accent_text_light": text_shade(accent, background=LIGHT_BACKGROUND),
        "accent_text_dark": text_shade(accent, background=DARK_BACKGROUND),
    }


def branding(request) -> dict:
    """Context processor: `site` for every template."""
    return {
        "site": {
            "name": settings.SITE_NAME,
            "logo_url": settings.SITE_LOGO_URL,
            **colors(settings.SITE_ACCENT_COLOR),
        }
    }
