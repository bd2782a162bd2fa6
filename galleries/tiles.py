"""The photo tiles that guest pages draw: the gallery's grid and hero, the home page's
cards, the photo page, Find me's results and My favourites (galleries, faces and
favourites views all draw them from here; no view imports another app's views).

A tile holds only what guests of the gallery may see of the photo: its addresses go
through galleries/files.py (signed on S3, versioned locally), never the storage's names.
"""

import uuid
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from galleries import files, focal, layout
from galleries.alt_text import photo_alt
from galleries.models import Gallery, Photo


def photo_tile(photo: Photo, *, download_kind: str | None = None) -> dict:
    """A photo's sizes and addresses, for the hero, the home page's cards, the photo
    page and Find me's tiles."""
    thumb_width, thumb_height = photo.scaled_size(settings.PHOTO_THUMB_SIZE)
    middle_width, middle_height = photo.scaled_size(settings.PHOTO_MIDDLE_SIZE)
    display_width, display_height = photo.scaled_size(settings.PHOTO_DISPLAY_SIZE)
    thumb_url = files.photo_url(photo, "thumb")
    # Photos processed before the middle size existed have none until it is made.
    middle_url = files.photo_url(photo, "middle") if photo.middle.name else ""
    display_url = files.photo_url(photo, "display")
    return {
        "photo": photo,
        "thumb_url": thumb_url,
        "middle_url": middle_url,
        "display_url": display_url,
        "srcset": files.srcset(((thumb_url, thumb_width), (middle_url, middle_width), (display_url, display_width))),
        "download_kind": download_kind,
        "download_url": files.photo_view_url(photo, download_kind, download=True) if download_kind else None,
        "thumb_width": thumb_width,
        "thumb_height": thumb_height,
        "display_width": display_width,
        "display_height": display_height,
        "aspect": round(layout.aspect_ratio(photo.width, photo.height), 4),
        "sizes": layout.tile_sizes(round(layout.aspect_ratio(photo.width, photo.height), 4)),
    }


def cover_tile(gallery: Gallery, photo: Photo) -> dict:
    """photo_tile, and where to crop it as the gallery's cover (galleries/focal.py); the
    point itself places the hero's text away from the faces."""
    point = focal.cover_focal_point(gallery, photo)
    return {**photo_tile(photo), "object_position": point.css, "focal": point}


_STAND_IN_KEY = uuid.UUID(int=0)


def _url_for_keys(viewname: str, *args) -> Callable[[uuid.UUID], str]:
    """Makes the URLs that differ only by a photo key by joining strings around one
    reverse() with a stand-in key (`uuid.UUID` in args marks its place): reverse()
    for each of a page's 240 URLs took a third of the time it took to make the page."""
    url = reverse(viewname, args=[_STAND_IN_KEY if arg is uuid.UUID else arg for arg in args])
    before, _, after = url.partition(str(_STAND_IN_KEY))
    return lambda key: f"{before}{key}{after}"


def grid_tiles(gallery: Gallery, photos, *, first_number: int, total: int, download_kind: str | None) -> list[dict]:
    """The tiles of a justified grid (templates/galleries/_tile.html): the gallery's
    pages, and My favourites."""
    photo_page_url = _url_for_keys("galleries:photo", gallery.slug, uuid.UUID)
    if download_kind:
        download_url = _url_for_keys("galleries:photo_file", uuid.UUID, download_kind)
    local = files.storage_is_local()
    if local:
        thumb_url = _url_for_keys("galleries:photo_file", uuid.UUID, "thumb")
        middle_url = _url_for_keys("galleries:photo_file", uuid.UUID, "middle")
        display_url = _url_for_keys("galleries:photo_file", uuid.UUID, "display")
    sizes_by_aspect = {}
    tiles = []
    for number, photo in enumerate(photos, start=first_number):
        thumb_width, thumb_height = photo.scaled_size(settings.PHOTO_THUMB_SIZE)
        middle_width, _ = photo.scaled_size(settings.PHOTO_MIDDLE_SIZE)
        display_width, display_height = photo.scaled_size(settings.PHOTO_DISPLAY_SIZE)
        if local:
            thumb = files.versioned(thumb_url(photo.key), photo, "thumb")
            # Photos processed before the middle size existed have none until it is made.
            middle = files.versioned(middle_url(photo.key), photo, "middle") if photo.middle.name else ""
            display = files.versioned(display_url(photo.key), photo, "display")
        else:
            thumb = files.photo_url(photo, "thumb")
            middle = files.photo_url(photo, "middle") if photo.middle.name else ""
            display = files.photo_url(photo, "display")
        aspect = round(layout.aspect_ratio(photo.width, photo.height), 4)
        if aspect not in sizes_by_aspect:  # most photos of a gallery share two or three ratios
            sizes_by_aspect[aspect] = layout.tile_sizes(aspect)
        tiles.append(
            {
                "number": number,
                "key": photo.key,
                "guest_name": photo.guest_name,
                "file_name": photo.original_filename,
                "url": photo_page_url(photo.key),
                "thumb_url": thumb,
                "display_url": display,
                "srcset": files.srcset(((thumb, thumb_width), (middle, middle_width), (display, display_width))),
                "sizes": sizes_by_aspect[aspect],
                "aspect": aspect,
                "alt": photo_alt(
                    gallery=gallery,
                    number=number,
                    total=total,
                    people=getattr(photo, "people", None),
                    guest_name=photo.guest_name,
                ),
                "download_url": (
                    files.versioned(download_url(photo.key), photo, download_kind, download=True)
                    if download_kind
                    else None
                ),
                "thumb_width": thumb_width,
                "thumb_height": thumb_height,
                "display_width": display_width,
                "display_height": display_height,
            }
        )
    return tiles
