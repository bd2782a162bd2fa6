"""Sharing a gallery: its absolute address as a QR code (SVG and PNG), what a printed
table card says, and the link preview that chat apps show of its address.

The QR code holds the address only, never the access code: the code is printed beside
it for people to type.

Link previews (Open Graph and Twitter card tags, which WhatsApp, iMessage, Signal and
the rest read from the page's head; their crawlers keep no cookies and follow redirects):
a published public or unlisted gallery that has not closed shows its name, a description
and its cover cut at its focal point to 1200 x 630 (galleries/focal.py), all at absolute
addresses. A private gallery shows its name only: no photo, no description, whoever
shares the link. Drafts and closed galleries show nothing.
"""

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from PIL import Image

from eventgallery import languages
from galleries import files, focal
from galleries.imaging import open_upright_rgb
from galleries.models import Gallery, Photo

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
    url: str  # with `?lang=` when the page asking for the card named a language
    short_link: str  # the address without its scheme, to type by hand
    access_code: str  # only for a private gallery
    find_me: bool
    language: str  # what the card is written in: the one asked for, else the gallery's default
    # What its QR code's link carries as `?lang=`: the language asked for or the gallery's
    # default; none when neither names one, and guests get their own.
    link_language: str


def public_base_url(request) -> str:
    """Where guests reach the site: PUBLIC_BASE_URL when it is set (an admin reached by an
    internal name must not print that name on the cards), else the scheme and host of
    this request."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def card_language(request, gallery: Gallery) -> str:
    """The language chosen for a table card: `?lang=` of the request for it when it is a
    shipped language, else the gallery's default language; "" for neither."""
    return (
        languages.shipped_language(request.GET.get("lang"))
        or languages.shipped_language(gallery.default_language)
        or ""
    )


def gallery_share_url(request, gallery: Gallery) -> str:
    """The gallery's absolute address for guests (public_base_url). A request that names a
    shipped language (`?lang=de`: a table card's QR code) gives the address with it, so
    that guests who scan the card open the gallery in the card's language
    (eventgallery/languages.py); the live slideshow, asked for without one, gives the bare
    address and each guest's own language."""
    url = public_base_url(request) + gallery.get_absolute_url()
    if language := languages.shipped_language(request.GET.get("lang")):
        url += "?" + urlencode({"lang": language})
    return url


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


@dataclass(frozen=True)
class CardCover:
    url: str
    position: str  # the CSS object-position that keeps its heads (galleries/focal.py)


def gallery_card_cover(gallery: Gallery) -> CardCover | None:
    """The photo a table card shows: the gallery's cover if guests see it, else its first
    photo they see, cut at its focal point; None without photos."""
    photos = gallery.photos.guest_visible().for_tiles()
    photo = None
    if gallery.cover_id:
        photo = photos.filter(pk=gallery.cover_id).first()
    if photo is None:
        photo = photos.in_display_order().first()
    if photo is None:
        return None
    return CardCover(
        url=files.photo_url(photo, "middle" if photo.middle.name else "display"),
        position=focal.cover_focal_point(gallery, photo).css,
    )


def gallery_share_card(request, gallery: Gallery) -> ShareCard:
    url = gallery_share_url(request, gallery)
    parts = urlsplit(url)
    return ShareCard(
        name=gallery.name,
        event_date=gallery.event_date,
        url=url,
        short_link=f"{parts.netloc}{parts.path}".rstrip("/"),
        access_code=gallery.access_code if gallery.is_private else "",
        find_me=gallery.face_search_enabled,
        language=card_language(request, gallery) or settings.LANGUAGE_CODE,
        link_language=card_language(request, gallery),
    )


# --- Link previews --------------------------------------------------------------------

PREVIEW_SIZE = (1200, 630)
PREVIEW_QUALITY = 82
# What a preview's description holds at most: chat apps show two lines, search engines ~155 characters.
DESCRIPTION_CHARS = 155


@dataclass(frozen=True)
class LinkPreview:
    title: str
    url: str
    description: str = ""  # none for a private gallery
    image_url: str = ""  # none for a private gallery, or one without photos
    image_alt: str = ""
    image_width: int = PREVIEW_SIZE[0]
    image_height: int = PREVIEW_SIZE[1]


def gallery_link_preview(
    *, gallery: Gallery, base_url: str, photo_count: int, cover: Photo | None, closed: bool
) -> LinkPreview | None:
    """The link preview of a gallery's page (module docstring), or None when it has none.
    `cover` is the photo the page shows as its hero; `closed` whether the gallery has closed."""
    if not gallery.is_published or closed:
        return None
    url = base_url + gallery.get_absolute_url()
    if gallery.is_private:
        return LinkPreview(title=gallery.name, url=url)
    image_url = ""
    if cover is not None:
        image_url = (
            f"{base_url}{reverse('galleries:preview_image', args=[gallery.slug])}?v={preview_version(gallery, cover)}"
        )
    return LinkPreview(
        title=gallery.name,
        url=url,
        description=gallery_description(gallery=gallery, photo_count=photo_count),
        image_url=image_url,
        image_alt=gettext("A photo of %(gallery)s") % {"gallery": gallery.name} if image_url else "",
    )


def gallery_description(*, gallery: Gallery, photo_count: int) -> str:
    """The organizer's description, in one line and cut at a word; else what the gallery holds."""
    described = re.sub(r"\s+", " ", gallery.description).strip()
    if described:
        return Truncator(described).chars(DESCRIPTION_CHARS)
    names = {"gallery": gallery.name, "count": photo_count}
    if gallery.event_date:
        names["date"] = date_format(gallery.event_date)
        if not photo_count:
            return gettext("The photos of %(gallery)s on %(date)s, coming soon.") % names
        text = ngettext(
            "%(count)s photo of %(gallery)s on %(date)s, to browse and download.",
            "%(count)s photos of %(gallery)s on %(date)s, to browse and download.",
            photo_count,
        )
    else:
        if not photo_count:
            return gettext("The photos of %(gallery)s, coming soon.") % names
        text = ngettext(
            "%(count)s photo of %(gallery)s, to browse and download.",
            "%(count)s photos of %(gallery)s, to browse and download.",
            photo_count,
        )
    text %= names
    if gallery.face_search_enabled:
        text = gettext("%(text)s Find the ones you are in with a selfie.") % {"text": text}
    return text


def preview_version(gallery: Gallery, cover: Photo) -> str:
    """Moves with whatever changes the preview image (another cover, another focal point,
    the cover redrawn): chat apps keep a preview by its image's address for days."""
    point = focal.cover_focal_point(gallery, cover)
    described = f"{cover.key}|{cover.display.name}|{point.css}|{PREVIEW_SIZE}|{PREVIEW_QUALITY}"
    return hashlib.blake2s(described.encode(), digest_size=6).hexdigest()


def link_preview_image(*, gallery: Gallery, cover: Photo) -> bytes:
    """The cover cut at its focal point to PREVIEW_SIZE, as a JPEG (cover_cut_jpeg)."""
    return cover_cut_jpeg(gallery=gallery, cover=cover, size=PREVIEW_SIZE, quality=PREVIEW_QUALITY)


def cover_cut_jpeg(*, gallery: Gallery, cover: Photo, size: tuple[int, int], quality: int) -> bytes:
    """The cover's display image cut at its focal point to `size`, as a JPEG. Decoded in
    the web process within its decode budget (galleries/decoding.py): raises
    decoding.DecodeBusy when no turn comes in time, FileNotFoundError without the file."""
    with default_storage.open(cover.display.name, "rb") as fh:
        image = open_upright_rgb(fh, bounded=True)
    width, height = size
    box = focal.crop_box(
        width=image.width,
        height=image.height,
        frame_aspect=width / height,
        focal=focal.cover_focal_point(gallery, cover),
    )
    image = image.crop(box).resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def photo_link_preview(*, gallery: Gallery, photo: Photo, base_url: str, title: str, description: str) -> LinkPreview:
    """The link preview of one photo's page: the photo itself, not the gallery's cover, for
    a published public or unlisted gallery; the name only for a private one (whose page a
    crawler without the code never reaches anyway). The image is its web (middle) image,
    watermarked and blurred as guests see it, at the photo file's own address (on S3 a
    redirect to a signed URL, which crawlers follow): chat apps drop previews above a few
    hundred KB, and the large image often is; a photo without a middle image gives its
    large one."""
    url = base_url + reverse("galleries:photo", args=[gallery.slug, photo.key])
    if gallery.is_private:
        return LinkPreview(title=title, url=url)
    kind, long_side = (
        ("middle", settings.PHOTO_MIDDLE_SIZE) if photo.middle.name else ("display", settings.PHOTO_DISPLAY_SIZE)
    )
    width, height = photo.scaled_size(long_side)
    return LinkPreview(
        title=title,
        url=url,
        description=description,
        image_url=base_url + files.photo_view_url(photo, kind),
        image_alt=description,
        image_width=width,
        image_height=height,
    )
