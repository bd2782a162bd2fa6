"""Share cards: the gallery's absolute address as a QR code (SVG and PNG), and what a
printed table card says. The QR code holds the address only, never the access code:
the code is printed beside it for people to type."""

import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import segno
from django.conf import settings

from galleries import files
from galleries.models import Gallery

# Error correction M (15 %): scans from a table card in a dim room, and stays small.
QR_ERROR = "m"
# Pixels per module of the PNG: about 4 cm wide at 300 dpi for a typical address.
PNG_SCALE = 12
QR_BORDER = 4  # modules of quiet zone, as the standard asks

CARD_SIZES = ("a6", "a5")


@dataclass(frozen=True)
class ShareCard:
    name: str
    event_date: date | None
    url: str
    short_link: str  # the address without its scheme, to type by hand
    access_code: str  # only for a private gallery
    find_me: bool
    cover_url: str = ""  # the cover (else the first photo) at display size; "" without photos
    cover_width: int = 0
    cover_height: int = 0


def gallery_share_url(request, gallery: Gallery) -> str:
    """The gallery's absolute address for guests: under PUBLIC_BASE_URL when it is set
    (an admin reached by an internal name must not print that name on the cards),
    else at the host the organizer reached the admin by."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + gallery.get_absolute_url()
    return request.build_absolute_uri(gallery.get_absolute_url())


def _qr(url: str):
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", border=QR_BORDER, scale=1, xmldecl=True, svgns=True, title=url, unit="mm")
    return out.getvalue()


def qr_svg_inline(url: str) -> str:
    """The QR code as an <svg> element to put in a page (the live slideshow), sized by
    its CSS: black on white with its quiet zone, so that it scans off a dark screen."""
    return _qr(url).svg_inline(omitsize=True, border=QR_BORDER, dark="#000", light="#fff", title=url)


def qr_png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", border=QR_BORDER, scale=scale)
    return out.getvalue()


def gallery_share_card(request, gallery: Gallery) -> ShareCard:
    url = gallery_share_url(request, gallery)
    parts = urlsplit(url)
    # The gallery page's hero: its cover while guests may see it, else its first photo.
    photos = gallery.photos.guest_visible()
    cover = (gallery.cover_id and photos.filter(pk=gallery.cover_id).first()) or photos.in_display_order().first()
    cover_width, cover_height = cover.scaled_size(settings.PHOTO_DISPLAY_SIZE) if cover else (0, 0)
    return ShareCard(
        name=gallery.name,
        event_date=gallery.event_date,
        url=url,
        short_link=f"{parts.netloc}{parts.path}".rstrip("/"),
        access_code=gallery.access_code if gallery.is_private else "",
        find_me=gallery.face_search_enabled,
        cover_url=files.photo_url(cover, "display") if cover else "",
        cover_width=cover_width,
        cover_height=cover_height,
    )
