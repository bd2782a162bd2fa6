import gzip
import mimetypes
import uuid
import zlib
from collections.abc import Callable
from urllib.parse import quote, unquote

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Case, Count, OuterRef, Q, Subquery, Sum, When, Window
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from galleries import access, downloads, files, focal, layout, share, stats
from galleries.access import access_code_try
from galleries.alt_text import photo_alt
from galleries.contact import gallery_contact
from galleries.decoding import DecodeBusy
from galleries.forms import AccessCodeForm, GuestUploadForm
from galleries.imaging import ImageRejected
from galleries.models import Gallery, GalleryDownload, Photo
from galleries.services.guest_uploads import GuestUploadRefused, guest_photo_upload, guest_upload_message
from galleries.services.photos import DuplicatePhoto, PhotoUploadError, StorageUnavailable
from ops import outages
from ops.ratelimits import client_ip, device_id


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
    """photo_tile, and where to crop it as the gallery's cover (galleries/focal.py)."""
    return {**photo_tile(photo), "object_position": focal.cover_focal_point(gallery, photo).css}


def home(request):
    first_ready_photo = Photo.objects.guest_visible().filter(gallery=OuterRef("pk")).in_display_order()
    galleries = (
        access.galleries_listed()
        .select_related("cover")
        .annotate(
            first_photo_key=Subquery(first_ready_photo.values("key")[:1]),
            first_photo_thumbnail=Subquery(first_ready_photo.values("thumbnail")[:1]),
            first_photo_middle=Subquery(first_ready_photo.values("middle")[:1]),
            first_photo_display=Subquery(first_ready_photo.values("display")[:1]),
            first_photo_width=Subquery(first_ready_photo.values("width")[:1]),
            first_photo_height=Subquery(first_ready_photo.values("height")[:1]),
            first_photo_focal_x=Subquery(first_ready_photo.values("focal_x")[:1]),
            first_photo_focal_y=Subquery(first_ready_photo.values("focal_y")[:1]),
        )
    )
    cards = []
    for gallery in galleries:
        cover = gallery.cover if gallery.cover and gallery.cover.is_guest_visible else None
        if cover is None and gallery.first_photo_key:
            cover = Photo(
                key=gallery.first_photo_key,
                thumbnail=gallery.first_photo_thumbnail,
                middle=gallery.first_photo_middle or "",
                display=gallery.first_photo_display,
                width=gallery.first_photo_width,
                height=gallery.first_photo_height,
                focal_x=gallery.first_photo_focal_x,
                focal_y=gallery.first_photo_focal_y,
            )
        cards.append({"gallery": gallery, "cover": cover_tile(gallery, cover) if cover else None})
    return render(request, "galleries/home.html", {"cards": cards})


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


def _page_cache(gallery: Gallery) -> tuple[str, int]:
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
    # The branding is in every page: a changed SITE_* setting never gets an old page from a shared cache.
    branding = zlib.crc32(f"{settings.SITE_NAME}|{settings.SITE_LOGO_URL}|{settings.SITE_ACCENT_COLOR}".encode())
    key = (
        f"gallery-page:{gallery.pk}:{gallery.updated_at.isoformat()}:{'local' if local else 'remote'}"
        f":{settings.PHOTOS_PER_PAGE}:{settings.PHOTO_THUMB_SIZE}:{settings.PHOTO_MIDDLE_SIZE}:{settings.PHOTO_DISPLAY_SIZE}"
        f":{branding:x}"
    )
    return key, timeout


def _gallery_summary(gallery: Gallery, *, cache_key: str, timeout: int) -> tuple[int, int, dict | None]:
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
    return summary


def _photo_grid(gallery: Gallery, page, *, cache_key: str, timeout: int, download_kind: str | None) -> str:
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


def guest_view_count(request, gallery: Gallery, *, first_request_counts: bool) -> None:
    """Counts this device's view of the gallery (galleries/stats.py), unless they manage
    it. A browser without a device cookie is given one; its request counts only if
    `first_request_counts` (a request only a browser running the page's script makes)."""
    if access.can_manage_gallery(request.user, gallery):
        return
    device = device_id(request, issue=first_request_counts)
    if device is None:
        device_id(request)  # counted from its next request on
        return
    stats.gallery_view_record(gallery=gallery, device=device)


def gallery_closed_page(request, gallery: Gallery):
    """What a guest gets from every page and file of a gallery that has closed."""
    return render(
        request,
        "galleries/gallery_closed.html",
        {"gallery": gallery, "contact": gallery_contact(gallery=gallery)},
        status=410,
    )


def gallery_for_guest_page(request, slug) -> tuple[Gallery, HttpResponse | None]:
    """The gallery of a guest page (of any app), and None when this visitor may have the
    page; else the answer to give instead: the closed page (410) once the gallery has
    closed to them, the access code's page while a private gallery's code is not in their
    session. A gallery they may not know of is not found (404, raised)."""
    gallery = access.gallery_for_visitor(request, slug)
    if access.gallery_is_closed_to(request, gallery):
        return gallery, gallery_closed_page(request, gallery)
    if not access.gallery_is_open(request, gallery):
        return gallery, redirect("galleries:access", slug=gallery.slug)
    return gallery, None


def _photos_to_download(request, gallery: Gallery):
    # stored_name() reads the four file names; download_name() the uploaded one.
    return (
        access.photos_visible_to(request, gallery)
        .in_display_order()
        .only("gallery", "key", "original", "thumbnail", "middle", "display", "original_filename", "faces_blurred")
    )


def _download_all_size(
    request, gallery: Gallery, kind: str, *, original_bytes: int, cache_key: str, timeout: int
) -> int:
    """About the size of the gallery's ZIP in bytes, for the button. The originals'
    sizes are in the database (the archive adds some 100 bytes a photo); the display
    images' are asked of the storage, once for each change of the gallery."""
    if kind == "original":
        return original_bytes
    size = cache.get(f"{cache_key}:zip-size:{kind}")
    if size is None:
        size = len(
            downloads.photos_zip(
                photos=_photos_to_download(request, gallery), kind=kind, blurred_as_display=_is_guest(request, gallery)
            )
        )
        cache.set(f"{cache_key}:zip-size:{kind}", size, timeout)
    return size


def gallery_detail(request, slug):
    """A page of the gallery, from the cache when it has not changed since: after
    the access check, a page costs the gallery row and, while nothing changes,
    no rendering.

    The page is cached whole for each signed-in visitor and once for all anonymous
    ones, who see the same page; what differs between anonymous visitors (messages,
    a CSRF token) is never cached.
    """
    # Before any cache: a page made for a visitor who may see it never reaches one who may not.
    gallery, refusal = gallery_for_guest_page(request, slug)
    if refusal is not None:
        return refusal

    cache_key, timeout = _page_cache(gallery)
    photo_count, original_bytes, hero = _gallery_summary(gallery, cache_key=cache_key, timeout=timeout)
    # Numbered from the count alone; out-of-range and odd values land where Paginator puts them.
    page = Paginator(range(photo_count), settings.PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    download_kind = access.download_kind(request.user, gallery)
    grid_options = {"cache_key": cache_key, "timeout": timeout, "download_kind": download_kind}
    if request.GET.get("fragment"):  # the infinite scroll asks for the next page's tiles only
        tiles = _photo_grid(gallery, page, **grid_options).encode()
        # The same for everyone who downloads the same kind: compressed as asked (under a millisecond).
        return _shared_page_response(request, tiles, _gzipped(tiles) if _accepts_gzip(request) else b"")

    viewer = request.user.pk if request.user.is_authenticated else "anonymous"
    # "pages": a page and its gzipped bytes, never the bare page that older code kept under ":page:".
    # The link preview's addresses are absolute: a page is kept for the address it was asked at.
    base_url = share.public_base_url(request)
    page_key = f"{cache_key}:pages:{page.number}:{viewer}:{base_url}"
    # Messages are shown once to one visitor: a page with some is neither taken from the cache nor kept.
    cacheable = not messages.get_messages(request)
    if cacheable and (cached := cache.get(page_key)) is not None:
        return _shared_page_response(request, *cached)
    grid = _photo_grid(gallery, page, **grid_options)
    download_all_size = None
    if download_kind and photo_count:
        download_all_size = _download_all_size(
            request, gallery, download_kind, original_bytes=original_bytes, cache_key=cache_key, timeout=timeout
        )
    response = render(
        request,
        "galleries/gallery_detail.html",
        {
            "gallery": gallery,
            "photo_count": photo_count,
            "hero": hero,
            "grid": mark_safe(grid),
            "download_kind": download_kind,
            "download_all_size": download_all_size,
            "preview": share.gallery_link_preview(
                gallery=gallery,
                base_url=base_url,
                photo_count=photo_count,
                cover=hero["photo"] if hero else None,
                closed=gallery.is_closed(),
            ),
        },
    )
    patch_vary_headers(response, ("Accept-Encoding",))
    # get_token() was called: the page may hold this visitor's CSRF token.
    if cacheable and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        shared = (response.content, _gzipped(response.content))
        cache.set(page_key, shared, timeout)
        return _shared_page_response(request, *shared)
    return response


def _gzipped(content: bytes) -> bytes:
    # mtime=0: the same page compresses to the same bytes, whichever process made it.
    return gzip.compress(content, compresslevel=9, mtime=0)


def _accepts_gzip(request) -> bool:
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def _shared_page_response(request, content: bytes, compressed: bytes) -> HttpResponse:
    """A gallery page that is the same for everyone who gets it (no CSRF token, no
    message), gzipped for browsers that accept it. Only such pages are compressed: a
    page that holds a secret of its visitor could leak it to an attacker who gets
    reflected text into it and watches the compressed size (BREACH); these hold none."""
    if _accepts_gzip(request):
        response = HttpResponse(compressed)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(content)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def photo_detail(request, slug, key):
    """The viewer without JavaScript: one photo, previous / next, download."""
    gallery, refusal = gallery_for_guest_page(request, slug)
    if refusal is not None:
        return refusal
    photos = access.photos_visible_to(request, gallery)
    photo = get_object_or_404(photos, key=key)
    before = Q(sort_at__lt=photo.sort_at) | Q(sort_at=photo.sort_at, id__lt=photo.id)
    after = Q(sort_at__gt=photo.sort_at) | Q(sort_at=photo.sort_at, id__gt=photo.id)
    previous_photo = photos.filter(before).order_by("-sort_at", "-id").only("key").first()
    next_photo = photos.filter(after).order_by("sort_at", "id").only("key").first()
    position = photos.filter(before).count()
    people = photo.faces.count() if gallery.face_search_enabled else None
    # A browser's second request on: link previews and crawlers, which keep no cookies,
    # would otherwise each be a new device, and a write.
    guest_view_count(request, gallery, first_request_counts=False)
    return render(
        request,
        "galleries/photo_detail.html",
        {
            "gallery": gallery,
            "tile": photo_tile(photo, download_kind=access.download_kind(request.user, gallery)),
            "previous_photo": previous_photo,
            "next_photo": next_photo,
            "position": position + 1,
            "alt": photo_alt(
                gallery=gallery, number=position + 1, total=photos.count(), people=people, guest_name=photo.guest_name
            ),
            "gallery_page": position // settings.PHOTOS_PER_PAGE + 1,
            # The photo's own link, shown whole so that it can be copied without JavaScript.
            "share_url": request.build_absolute_uri(request.path),
        },
    )


@require_http_methods(["GET", "POST"])
def gallery_access(request, slug):
    gallery = access.gallery_for_visitor(request, slug)
    if access.gallery_is_closed_to(request, gallery):
        return gallery_closed_page(request, gallery)
    if access.gallery_is_open(request, gallery):
        return redirect(gallery)

    form = AccessCodeForm(request.POST or None)
    status = 200
    outcome = None
    if request.method == "POST" and form.is_valid():
        outcome = access_code_try(
            gallery=gallery,
            session=request.session,
            code=form.cleaned_data["code"],
            device=f"cookie:{device_id(request)}",
            address=client_ip(request),
        )
        if outcome.unlocked:
            return redirect(gallery)
        if outcome.refused:
            messages.error(request, "Too many wrong codes. Please wait a few minutes and try again.")
            status = 429
        else:
            messages.error(request, "That access code is not right. Check it and try again.")
            status = 403
    preview = share.gallery_link_preview(
        gallery=gallery, base_url=share.public_base_url(request), photo_count=0, cover=None, closed=False
    )
    response = render(
        request,
        "galleries/gallery_access.html",
        {"gallery": gallery, "form": form, "preview": preview},
        status=status,
    )
    if outcome is not None and outcome.refused:
        response["Retry-After"] = str(outcome.retry_after_s)
    return response


# How long a browser may keep a photo file it was sent (never a shared cache).
PHOTO_FILE_MAX_AGE_SECONDS = 3600


def photo_file(request, key, kind):
    """Streams a photo file after checking access (local storage), or sends the
    visitor on to a signed, expiring URL (S3)."""
    if kind not in files.KINDS:
        raise Http404
    photo = get_object_or_404(Photo.objects.select_related("gallery"), key=key)
    if access.photo_is_closed_to(request, photo):
        return gallery_closed_page(request, photo.gallery)
    if not access.photo_is_visible(request, photo):
        raise Http404
    gallery = photo.gallery
    if not access.may_download(request.user, gallery, kind):
        raise PermissionDenied  # the guest sees the photo, but its organizer keeps the original
    kind = access.kind_served(request.user, photo, kind)
    name = files.stored_name(photo, kind)
    if not name:
        raise Http404
    download = bool(request.GET.get("download"))
    if download and kind in ("original", "display") and not access.can_manage_gallery(request.user, gallery):
        stats.gallery_download_record(gallery=gallery, what=GalleryDownload.What.PHOTO)
    if not files.storage_is_local():
        response = redirect(files.signed_url(photo, kind, download=download))
        # The signed URL is this visitor's, for minutes: no cache keeps the redirect.
        response["Cache-Control"] = "private, no-store"
        return response

    try:
        fh = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    download_name = files.download_name(photo, kind)
    response = FileResponse(
        fh,
        as_attachment=download,
        filename=download_name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    # A file never changes under its address (?v= moves with it), but whether it may
    # still be seen does (a hide request, the gallery closing): no shared cache keeps it
    # to hand on to others, and a browser asks again within the hour.
    response["Cache-Control"] = f"private, max-age={PHOTO_FILE_MAX_AGE_SECONDS}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def gallery_preview_image(request, slug):
    """The gallery's link preview image (galleries/share.py): its cover cut at the focal
    point to 1200 x 630, for whoever may see the cover (as photo_file: a private gallery's
    only after its code, none of a draft but for its organizers, 410 once closed). Made
    once for each change of the gallery and kept in the cache with its pages."""
    gallery = access.gallery_for_visitor(request, slug)
    if access.gallery_is_closed_to(request, gallery):
        return gallery_closed_page(request, gallery)
    if not access.gallery_is_open(request, gallery):
        raise Http404
    cache_key, timeout = _page_cache(gallery)
    _, _, hero = _gallery_summary(gallery, cache_key=cache_key, timeout=timeout)
    if hero is None:
        raise Http404
    cover = hero["photo"]
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


def gallery_download(request, slug):
    """Download all: every photo of the gallery this visitor sees, in one ZIP of the
    files the gallery's download policy gives them, streamed as it is made."""
    gallery, refusal = gallery_for_guest_page(request, slug)
    if refusal is not None:
        return refusal
    kind = access.download_kind(request.user, gallery)
    if kind is None:
        raise PermissionDenied
    return downloads.gallery_zip_response(
        request,
        gallery=gallery,
        photos=list(_photos_to_download(request, gallery)),
        kind=kind,
        what=GalleryDownload.What.ALL,
        filename=f"{gallery.slug}.zip",
    )


def _is_guest(request, gallery: Gallery) -> bool:
    return not access.can_manage_gallery(request.user, gallery)


# --- Guests' uploads ------------------------------------------------------------------

UPLOADER_NAME_COOKIE = "eventgallery_uploader"
UPLOADER_NAME_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def _guest_upload_results(request, gallery: Gallery, uploads, guest_name: str) -> tuple[list[dict], int, int]:
    """A result ({name, ok, message, retry}) for each file, the status that answers them
    (201 when all went in, else that of the first refusal: 429 over a limit, 503 when
    the storage failed, 403 when the gallery takes none, 400 for the file itself), and
    the seconds to wait before trying again (0: no need to wait)."""
    results, status, retry_after = [], 201, 0
    for upload in uploads:
        refused = None
        try:
            guest_photo_upload(
                gallery=gallery,
                upload=upload,
                filename=upload.name,
                guest_name=guest_name,
                device=f"cookie:{device_id(request)}",
                address=client_ip(request),
            )
        except DuplicatePhoto:
            # Most often the same file again after an answer that got lost: it is in. Said
            # as for any new photo: the same file may be another guest's, held back or in
            # the drop box, and a guest learns nothing of photos they cannot see.
            results.append({"name": upload.name, "ok": True, "message": guest_upload_message(gallery=gallery)})
        except GuestUploadRefused as exc:
            refused = (429 if exc.retry_after_s else 403), str(exc), bool(exc.retry_after_s)
            retry_after = max(retry_after, exc.retry_after_s)
        except StorageUnavailable as exc:
            refused = 503, str(exc), True
            retry_after = max(retry_after, outages.RETRY_AFTER_S)
        except PhotoUploadError as exc:
            refused = 400, str(exc), False
        else:
            results.append({"name": upload.name, "ok": True, "message": guest_upload_message(gallery=gallery)})
        if refused:
            code, message, retry = refused
            results.append({"name": upload.name, "ok": False, "message": message, "retry": retry})
            status = code if status == 201 else status
    if not uploads:
        results.append({"name": "", "ok": False, "message": "Choose at least one photo."})
        status = 400
    return results, status, retry_after


@require_http_methods(["GET", "POST"])
def gallery_upload(request, slug):
    """Guests add their photos: one file per request from the page's script (JSON
    answers, a progress bar each), or all at once from the plain form (messages on the
    same page, after a redirect). Let in as the gallery page is."""
    gallery, refusal = gallery_for_guest_page(request, slug)
    if refusal is not None:
        return refusal
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not gallery.takes_guest_uploads:
        message = "This gallery does not take guests' photos."
        if wants_json:
            return JsonResponse({"results": [{"name": "", "ok": False, "message": message}]}, status=403)
        return render(request, "galleries/guest_upload_off.html", {"gallery": gallery}, status=403)

    remembered = unquote(request.COOKIES.get(UPLOADER_NAME_COOKIE, ""))
    form = GuestUploadForm(request.POST or None, initial={"name": remembered})
    if request.method == "GET":
        return render(
            request,
            "galleries/guest_upload.html",
            {"gallery": gallery, "form": form, "max_mb": settings.PHOTO_MAX_UPLOAD_MB},
        )

    uploads = request.FILES.getlist("photos")
    if not form.is_valid():
        results = [{"name": "", "ok": False, "message": " ".join(form.errors.get("name", ["Check the form."]))}]
        status, retry_after, name = 400, 0, remembered
    else:
        name = form.cleaned_data["name"]
        results, status, retry_after = _guest_upload_results(request, gallery, uploads, name)
    if wants_json:
        response = JsonResponse({"results": results}, status=status)
    else:
        for result in results:
            level = messages.SUCCESS if result["ok"] else messages.ERROR
            messages.add_message(
                request, level, f"{result['name']}: {result['message']}" if result["name"] else result["message"]
            )
        if status == 503:
            # The storage is away: the page itself answers, as an outage, with the messages.
            context = {"gallery": gallery, "form": form, "max_mb": settings.PHOTO_MAX_UPLOAD_MB}
            response = render(request, "galleries/guest_upload.html", context, status=503)
        else:
            response = redirect("galleries:upload", slug=gallery.slug)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    if name != remembered:
        if name:
            response.set_cookie(
                UPLOADER_NAME_COOKIE,
                quote(name),
                max_age=UPLOADER_NAME_COOKIE_MAX_AGE_S,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(UPLOADER_NAME_COOKIE, samesite="Lax")
    return response
