"""The gallery page's cache: a page, its photo grid and its summary are kept under the
gallery's `updated_at`, which moves with every edit of the gallery and every change to
its photos (Gallery.objects...touch()), so a changed gallery never gets an old page and
old pages simply expire.

What is kept is the same for everyone who gets it: the page whole once for each signed-in
visitor and once for all anonymous ones, the grid for all who download the same kind of
file. What differs between anonymous visitors (messages, a CSRF token) is never kept.
Only such shared pages are gzipped (BREACH needs a secret of the visitor in the page).

With a shared cache (Redis), each process also keeps the pages it served last
(kept_page, keep_page): what is stored under a page's key never changes, the key holding
the gallery's `updated_at` and the settings' fingerprint, so the copy is always right,
and a page served from it costs no round trip to the cache (bench/README.md, "Gallery
page under gunicorn"). A new process still finds the pages the others made.
"""

import gzip
import zlib

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import default_storage
from django.db.models import Case, Count, Sum, When, Window
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

from eventgallery import inline_styles
from galleries import files
from galleries.models import Gallery
from galleries.tiles import cover_tile, grid_tiles


def gallery_page_cache(gallery: Gallery) -> tuple[str, int]:
    """The cache key prefix and timeout for the pages of a gallery.

    The key holds the gallery's `updated_at`, which moves with every edit of the
    gallery and every change to its photos (Gallery.objects...touch()): a changed
    gallery never gets an old page, and old pages simply expire.
    """
    local = files.storage_is_local()
    timeout = settings.GALLERY_PAGE_CACHE_SECONDS
    if not local:
        # The tiles hold signed URLs: a page served from the cache leaves them most of their life.
        timeout = min(timeout, default_storage.querystring_expire // 6)
    # The branding is in every page: a changed SITE_* setting never gets an old page from a shared cache;
    # nor a changed stylesheet, which the page carries inline and the policy allows by its hash.
    branding = zlib.crc32(
        f"{settings.SITE_NAME}|{settings.SITE_LOGO_URL}|{settings.SITE_ACCENT_COLOR}|{inline_styles.csp_sources()}".encode()
    )
    key = (
        f"gallery-page:{gallery.pk}:{gallery.updated_at.isoformat()}:{'local' if local else 'remote'}"
        f":{settings.PHOTOS_PER_PAGE}:{settings.PHOTO_THUMB_SIZE}:{settings.PHOTO_MIDDLE_SIZE}:{settings.PHOTO_DISPLAY_SIZE}"
        f":{branding:x}"
    )
    return key, timeout


# The pages this process served last, each until its timeout: a page and its gzipped copy
# are about 100 KB, a few MB for each process.
pages_in_process = LocMemCache("gallery-pages-in-process", {"OPTIONS": {"MAX_ENTRIES": 48}})


def _kept_in_process() -> bool:
    # The default locmem cache lives in the process already.
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def kept_page(key: str, timeout: int):
    """The page kept under `key` (a page and its gzipped bytes), or None; one from the
    shared cache is kept in the process for `timeout` from now."""
    if not _kept_in_process():
        return cache.get(key)
    # The cache's own key: it holds the language too (eventgallery/languages.py).
    own_key = cache.make_key(key)
    page = pages_in_process.get(own_key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            # Kept for a timeout from now: the cache's copy may be older by as much, and a
            # page's signed addresses (S3) live six timeouts.
            pages_in_process.set(own_key, page, timeout)
    return page


def keep_page(key: str, page, timeout: int) -> None:
    cache.set(key, page, timeout)
    if _kept_in_process():
        pages_in_process.set(cache.make_key(key), page, timeout)


def gallery_summary(gallery: Gallery, *, cache_key: str, timeout: int) -> tuple[int, int, dict | None]:
    """The number of guest-visible photos, the bytes of their originals, and the hero's tile:
    the cover if it is ready, else the first photo. One query, the count and the sum
    being window aggregates over the rows of which the hero is the first."""
    summary = cache.get(f"{cache_key}:summary")
    if summary is None:
        photos = (
            gallery.photos.guest_visible()
            .for_tiles()
            .annotate(total=Window(Count("pk")), bytes=Window(Sum("file_size")))
        )
        if gallery.cover_id:
            photos = photos.order_by(Case(When(pk=gallery.cover_id, then=0), default=1), "sort_at", "id")
        else:
            photos = photos.in_display_order()
        hero = photos.first()
        summary = (hero.total, hero.bytes or 0, cover_tile(gallery, hero)) if hero else (0, 0, None)
        cache.set(f"{cache_key}:summary", summary, timeout)
        cache.set(f"{cache_key}:count", summary[0], timeout)
    return summary


def gallery_photo_count(gallery: Gallery, *, cache_key: str, timeout: int) -> int:
    """gallery_summary's count alone, what the infinite scroll's pages need. Kept apart
    because the summary holds the hero's Photo, whose unpickling was a fifth of the CPU
    of a page served from the cache (bench/README.md, "Gallery page under gunicorn")."""
    count = cache.get(f"{cache_key}:count")
    if count is None:
        count = gallery_summary(gallery, cache_key=cache_key, timeout=timeout)[0]
    return count


def photo_grid(gallery: Gallery, page, *, cache_key: str, timeout: int, download_kind: str | None) -> str:
    """One page of the photo grid (tiles and pager) as HTML: the same for everyone
    who may see the gallery and download the same kind of file from it, and all that
    the infinite scroll asks for."""
    key = f"{cache_key}:grid:{download_kind}:{page.number}"
    html = cache.get(key)
    if html is None:
        photos = []
        if page.paginator.count:
            photos = gallery.photos.guest_visible().in_display_order().for_tiles()
            if gallery.face_search_enabled:  # the faces are indexed: the alt text says how many people
                photos = photos.annotate(people=Count("faces"))
            photos = photos[page.start_index() - 1 : page.end_index()]
        tiles = grid_tiles(
            gallery, photos, first_number=page.start_index(), total=page.paginator.count, download_kind=download_kind
        )
        html = render_to_string("galleries/_photo_page.html", {"tiles": tiles, "page": page})
        cache.set(key, html, timeout)
    return html


def gzipped(content: bytes) -> bytes:
    # mtime=0: the same page compresses to the same bytes, whichever process made it.
    return gzip.compress(content, compresslevel=9, mtime=0)


def accepts_gzip(request) -> bool:
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def shared_page_response(request, content: bytes, compressed: bytes) -> HttpResponse:
    """A gallery page that is the same for everyone who gets it (no CSRF token, no
    message), gzipped for browsers that accept it. Only such pages are compressed: a
    page that holds a secret of its visitor could leak it to an attacker who gets
    reflected text into it and watches the compressed size (BREACH); these hold none."""
    if accepts_gzip(request):
        response = HttpResponse(compressed)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(content)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
