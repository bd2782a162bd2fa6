"""The gallery page, served from its cache (galleries/page_cache.py), its link preview
image, and Download all.

Each is let in by the guest gate before any cache is read: a page made for a visitor who
may see it never reaches one who may not.
"""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from galleries import access, download_sizes, downloads, files, share
from galleries.access import GalleryClosed, GuestRefusal
from galleries.decoding import DecodeBusy
from galleries.guest_pages import gallery_closed_page, guest_page
from galleries.hero import PHONE_HERO_SIZE, phone_hero_stored, phone_hero_version
from galleries.imaging import ImageRejected
from galleries.models import Gallery, GalleryDownload
from galleries.page_cache import (
    accepts_gzip,
    gallery_page_cache,
    gallery_photo_count,
    gallery_summary,
    gzipped,
    keep_page,
    kept_page,
    photo_grid,
    shared_page_response,
)
from galleries.views import PHOTO_FILE_MAX_AGE_SECONDS


def _photos_to_download(request, gallery: Gallery):
    # stored_name() reads the four file names; download_name() the uploaded one.
    return (
        access.photos_visible_to(request, gallery)
        .in_display_order()
        .only("gallery", "key", "original", "thumbnail", "middle", "display", "original_filename", "faces_blurred")
    )


def phone_hero_url(gallery: Gallery, cover) -> str:
    return f"{reverse('galleries:phone_hero', args=[gallery.slug])}?v={phone_hero_version(gallery, cover)}"


def _page_number_asked(value: str | None) -> int:
    """The page number in ?page=, as Paginator.get_page reads it: not a whole number is the
    first page; a number out of range stays as it is (_page then gives the last page)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


def _page(photo_count: int, asked: int):
    """The page asked for of a gallery of `photo_count` photos: the last one past the end."""
    return Paginator(range(photo_count), settings.PHOTOS_PER_PAGE).get_page(asked)


# Before any cache: a page made for a visitor who may see it never reaches one who may not.
@guest_page
def gallery_detail(request, gallery):
    """A page of the gallery, from the cache when it has not changed since: after
    the access check, a page costs the gallery row and, while nothing changes,
    no rendering.

    The page is cached whole for each signed-in visitor and once for all anonymous
    ones, who see the same page; what differs between anonymous visitors (messages,
    a CSRF token) is never cached.
    """
    cache_key, timeout = gallery_page_cache(gallery)
    asked = _page_number_asked(request.GET.get("page"))
    if request.GET.get("fragment"):  # the infinite scroll asks for the next page's tiles only
        # The count alone: the summary holds the hero's Photo, costly to unpickle (page_cache.py).
        page = _page(gallery_photo_count(gallery, cache_key=cache_key, timeout=timeout), asked)
        download_kind = access.download_kind(request.user, gallery)
        tiles = photo_grid(gallery, page, cache_key=cache_key, timeout=timeout, download_kind=download_kind).encode()
        # The same for everyone who downloads the same kind: compressed as asked (under a millisecond).
        return shared_page_response(request, tiles, gzipped(tiles) if accepts_gzip(request) else b"")

    viewer = request.user.pk if request.user.is_authenticated else "anonymous"
    # "pages": a page and its gzipped bytes, never the bare page that older code kept under ":page:".
    # The link preview's addresses are absolute: a page is kept for the address it was asked at.
    base_url = share.public_base_url(request)
    # Kept under the number asked for, which is the page's own (see below): a page from the
    # cache needs no count of the photos to be found.
    page_key = f"{cache_key}:pages:{asked}:{viewer}:{base_url}"
    # Messages are shown once to one visitor: a page with some is neither taken from the cache nor kept.
    cacheable = not messages.get_messages(request)
    if cacheable and (cached := kept_page(page_key, timeout)) is not None:
        return shared_page_response(request, *cached)
    photo_count, _, hero = gallery_summary(gallery, cache_key=cache_key, timeout=timeout)
    page = _page(photo_count, asked)
    # Past the last page (or below the first) Paginator gives the last one: kept under its own number only.
    cacheable = cacheable and page.number == asked
    download_kind = access.download_kind(request.user, gallery)
    grid = photo_grid(gallery, page, cache_key=cache_key, timeout=timeout, download_kind=download_kind)
    download_menu = []
    if download_kind and photo_count:
        url = reverse("galleries:download", args=[gallery.slug])
        download_menu = download_sizes.zip_menu(request.user, gallery=gallery, photos=None, url=url)
    response = render(
        request,
        "galleries/gallery_detail.html",
        {
            "gallery": gallery,
            "photo_count": photo_count,
            "hero": hero,
            "phone_hero_url": hero and phone_hero_url(gallery, hero["photo"]),
            "phone_hero_size": PHONE_HERO_SIZE,
            "grid": mark_safe(grid),
            "download_kind": download_kind,
            "download_menu": download_menu,
            "preview": share.gallery_link_preview(
                gallery=gallery,
                base_url=base_url,
                photo_count=photo_count,
                cover=hero and hero["photo"],
                closed=gallery.is_closed(),
            ),
        },
    )
    patch_vary_headers(response, ("Accept-Encoding",))
    # get_token() was called: the page may hold this visitor's CSRF token.
    if cacheable and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        shared = (response.content, gzipped(response.content))
        keep_page(page_key, shared, timeout)
        return shared_page_response(request, *shared)
    return response


def _gallery_cover(request, slug):
    """The gallery and its hero's photo with the gallery's cache key and timeout, for
    whoever may see the cover (as photo_file: a private gallery's only after its code,
    none of a draft but for its organizers); the closed page once it has closed."""
    try:
        gallery = access.guest_gallery(viewer=access.Viewer.of(request), slug=slug)
    except GalleryClosed as refusal:
        return gallery_closed_page(request, refusal.gallery)
    except GuestRefusal:  # not found, or a private gallery without its code
        raise Http404
    cache_key, timeout = gallery_page_cache(gallery)
    _, _, hero = gallery_summary(gallery, cache_key=cache_key, timeout=timeout)
    if hero is None:
        raise Http404
    return gallery, hero["photo"], cache_key, timeout


def gallery_preview_image(request, slug):
    """The gallery's link preview image (galleries/share.py): its cover cut at the focal
    point to 1200 x 630, for whoever may see the cover (_gallery_cover), 410 once closed.
    Made once for each change of the gallery and kept in the cache with its pages."""
    found = _gallery_cover(request, slug)
    if isinstance(found, HttpResponse):
        return found
    gallery, cover, cache_key, timeout = found
    key = f"{cache_key}:preview:{share.preview_version(gallery, cover)}"
    image = cache.get(key)
    if image is None:
        try:
            image = share.link_preview_image(gallery=gallery, cover=cover)
        except (FileNotFoundError, ImageRejected):
            raise Http404 from None
        except DecodeBusy as exc:
            response = HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(exc.retry_after_s)
            return response
        cache.set(key, image, timeout)
    response = HttpResponse(image, content_type="image/jpeg")
    # As a photo file: whether it may still be seen can change (the gallery closing).
    response["Cache-Control"] = f"private, max-age={PHOTO_FILE_MAX_AGE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# The phone hero's address moves with its image (?v=): a browser keeps it for a year.
# Only a browser, as a photo file: no shared cache hands a private gallery's cover on.
PHONE_HERO_MAX_AGE_SECONDS = 365 * 24 * 3600


def gallery_phone_hero(request, slug):
    """The gallery's phone hero (galleries/hero.py), for whoever may see the cover
    (_gallery_cover), 410 once closed: made and stored the first time it is asked for.
    While the web process has no turn to decode the cover, the phone is sent to the
    cover's middle image, which its browser cuts itself as before: a hero late, never none."""
    found = _gallery_cover(request, slug)
    if isinstance(found, HttpResponse):
        return found
    gallery, cover, _, _ = found
    try:
        name = phone_hero_stored(gallery=gallery, cover=cover)
    except (FileNotFoundError, ImageRejected):
        raise Http404 from None
    except DecodeBusy:
        response = redirect(files.photo_url(cover, "middle" if cover.middle.name else "display"))
        response["Cache-Control"] = "private, no-store"
        return response
    if not files.storage_is_local():
        response = redirect(default_storage.url(name))
        # A signed URL, for minutes: no cache keeps the redirect.
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        fh = default_storage.open(name, "rb")
    except FileNotFoundError:  # deleted by a newer version made meanwhile
        raise Http404 from None
    response = FileResponse(fh, content_type="image/jpeg")
    response["Cache-Control"] = f"private, max-age={PHONE_HERO_MAX_AGE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@guest_page
def gallery_download(request, gallery):
    """Download all: every photo of the gallery this visitor sees, in one ZIP of the
    files the gallery's download policy gives them, streamed as it is made."""
    if access.download_kind(request.user, gallery) is None:
        raise PermissionDenied
    return downloads.gallery_zip_response(
        request,
        gallery=gallery,
        photos=list(_photos_to_download(request, gallery)),
        what=GalleryDownload.What.ALL,
        filename=f"{gallery.slug}.zip",
    )


def _is_guest(request, gallery: Gallery) -> bool:
    return not access.can_manage_gallery(request.user, gallery)
