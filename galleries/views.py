import mimetypes
from functools import partial
from urllib.parse import quote, unquote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from galleries import access, download_sizes, files, share, stats
from galleries.access import AccessCodeNeeded, GalleryClosed, GuestRefusal, access_code_try
from galleries.alt_text import photo_alt
from galleries.forms import AccessCodeForm, GuestUploadForm
from galleries.guest_pages import gallery_closed_page, guest_page, guest_refusal_page, guest_view_count
from galleries.models import Gallery, GalleryDownload, Photo
from galleries.photo_info import photo_info
from galleries.services.guest_uploads import GuestUploadRefused, guest_photo_upload, guest_upload_message
from galleries.services.photos import DuplicatePhoto, StorageUnavailable, photos_upload
from galleries.tiles import cover_tile, photo_tile
from ops import outages
from ops.ratelimits import client_ip, device_id


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


@guest_page
def photo_detail(request, gallery, key):
    """The viewer without JavaScript: one photo, previous / next, download."""
    photos = access.photos_visible_to(request, gallery)
    photo = get_object_or_404(photos, key=key)
    before = Q(sort_at__lt=photo.sort_at) | Q(sort_at=photo.sort_at, id__lt=photo.id)
    after = Q(sort_at__gt=photo.sort_at) | Q(sort_at=photo.sort_at, id__gt=photo.id)
    previous_photo = photos.filter(before).order_by("-sort_at", "-id").only("key").first()
    next_photo = photos.filter(after).order_by("sort_at", "id").only("key").first()
    position = photos.filter(before).count()
    total = photos.count()
    people = photo.faces.count() if gallery.face_search_enabled else None
    # A browser's second request on: link previews and crawlers, which keep no cookies,
    # would otherwise each be a new device, and a write.
    guest_view_count(request, gallery, first_request_counts=False)
    alt = photo_alt(gallery=gallery, number=position + 1, total=total, people=people, guest_name=photo.guest_name)
    return render(
        request,
        "galleries/photo_detail.html",
        {
            "gallery": gallery,
            "tile": photo_tile(photo, download_kind=access.download_kind(request.user, gallery)),
            "download_menu": download_sizes.photo_menu(request.user, gallery=gallery, photo=photo),
            "info": photo_info(photo),
            "previous_photo": previous_photo,
            "next_photo": next_photo,
            "position": position + 1,
            "total": total,
            "alt": alt,
            "preview": share.photo_link_preview(
                gallery=gallery,
                photo=photo,
                base_url=share.public_base_url(request),
                title=f"{_('Photo %(number)s') % {'number': position + 1}} · {gallery.name}",
                description=alt,
            ),
            "gallery_page": position // settings.PHOTOS_PER_PAGE + 1,
            # The photo's own link, shown whole so that it can be copied without JavaScript.
            "share_url": request.build_absolute_uri(request.path),
        },
    )


@require_http_methods(["GET", "POST"])
def gallery_access(request, slug):
    try:
        gallery = access.guest_gallery(viewer=access.Viewer.of(request), slug=slug)
    except AccessCodeNeeded as refusal:
        gallery = refusal.gallery
    except GuestRefusal as refusal:
        return guest_refusal_page(request, refusal)
    else:
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
            messages.error(request, _("Too many wrong codes. Please wait a few minutes and try again."))
            status = 429
        else:
            messages.error(request, _("That access code is not right. Check it and try again."))
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
    try:
        photo = access.guest_photo(viewer=access.Viewer.of(request), key=key)
    except GalleryClosed as refusal:
        return gallery_closed_page(request, refusal.gallery)
    except GuestRefusal:  # not found, or a private gallery's photo without its code
        raise Http404
    gallery = photo.gallery
    if not access.may_download(request.user, gallery, kind):
        raise PermissionDenied  # the guest sees the photo, but its organizer keeps the original
    kind = access.kind_served(request.user, photo, kind)
    name = files.stored_name(photo, kind)
    if not name:
        raise Http404
    download = bool(request.GET.get("download"))
    # Each size of a single download counts once, as a ZIP does (galleries/stats.py); a
    # HEAD (a download manager looking before it asks) is no download.
    counted = download and request.method == "GET" and kind in download_sizes.SIZE_OF_KIND
    if counted and not access.can_manage_gallery(request.user, gallery):
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


# --- Guests' uploads ------------------------------------------------------------------

UPLOADER_NAME_COOKIE = "eventgallery_uploader"
UPLOADER_NAME_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def _guest_upload_results(request, gallery: Gallery, uploads, guest_name: str) -> tuple[list[dict], int, int]:
    """A result ({name, ok, message, retry}) for each file, the status that answers them
    (201 when all went in, else that of the first refusal: 429 over a limit, 503 when
    the storage failed, 403 when the gallery takes none, 400 for the file itself), and
    the seconds to wait before trying again (0: no need to wait)."""
    results, status, retry_after = [], 201, 0
    guest = partial(
        guest_photo_upload,
        gallery=gallery,
        guest_name=guest_name,
        device=f"cookie:{device_id(request)}",
        address=client_ip(request),
    )
    for outcome in photos_upload(gallery=gallery, uploads=uploads, create=guest):
        refused, exc = None, outcome.error
        if exc is None or isinstance(exc, DuplicatePhoto):
            # A duplicate is most often the same file again after an answer that got lost:
            # it is in. Said as for any new photo: the same file may be another guest's, held
            # back or in the drop box, and a guest learns nothing of photos they cannot see.
            results.append({"name": outcome.filename, "ok": True, "message": guest_upload_message(gallery=gallery)})
        elif isinstance(exc, GuestUploadRefused):
            refused = (429 if exc.retry_after_s else 403), str(exc), bool(exc.retry_after_s)
            retry_after = max(retry_after, exc.retry_after_s)
        elif isinstance(exc, StorageUnavailable):
            refused = 503, str(exc), True
            retry_after = max(retry_after, outages.RETRY_AFTER_S)
        else:
            refused = 400, str(exc), False
        if refused:
            code, message, retry = refused
            results.append({"name": outcome.filename, "ok": False, "message": message, "retry": retry})
            status = code if status == 201 else status
    if not uploads:
        results.append({"name": "", "ok": False, "message": _("Choose at least one photo.")})
        status = 400
    return results, status, retry_after


@require_http_methods(["GET", "POST"])
@guest_page
def gallery_upload(request, gallery):
    """Guests add their photos: one file per request from the page's script (JSON
    answers, a progress bar each), or all at once from the plain form (messages on the
    same page, after a redirect). Let in as the gallery page is."""
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
        results = [{"name": "", "ok": False, "message": " ".join(form.errors.get("name", [_("Check the form.")]))}]
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
