"""The justified rows of the photo grid: what the server tells the browser so that
the rows lay themselves out in CSS alone (static/galleries/site.css, `.photo-grid`),
and how wide a tile will be, for its `sizes`.

Each tile is a flex item whose basis is its aspect ratio times the row height and
which grows in proportion to its aspect ratio: the photos of a row grow to the same
height and fill the width, each whole. A row grows by about a quarter on average
(a tile that does not fit any more leaves its room to the others); the last row
does not grow at all.
"""

from __future__ import annotations

# (viewport from, row height in CSS px): the same numbers as `--row` in site.css.
ROW_HEIGHTS = ((1200, 240), (600, 200), (0, 110))
ROW_GROWTH = 1.25
# On a phone a tile never asks for more than 340 px: 1,020 pixels at 3x, which the
# middle image (1,024 px) covers, so no phone loads the 1,600 px display image.
PHONE_MAX_PX = 340


def aspect_ratio(width: int, height: int) -> float:
    """Width over height, kept within 1:3 and 3:1 so that a panorama or a sliver
    makes no row absurd (the photo is then cropped a little at its ends)."""
    return min(3.0, max(1 / 3, width / max(1, height)))


def tile_sizes(aspect: float) -> str:
    """The `sizes` of a tile of that aspect ratio: its width at each breakpoint."""
    parts = []
    for min_width, row_px in ROW_HEIGHTS:
        width = round(aspect * row_px * ROW_GROWTH)
        if min_width:
            parts.append(f"(min-width: {min_width}px) min({width}px, 100vw - 48px)")
        else:
            parts.append(f"{min(width, PHONE_MAX_PX)}px")
    return ", ".join(parts)
