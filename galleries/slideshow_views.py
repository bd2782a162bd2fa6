"""The live slideshow: a full-screen page for the venue's projector, and the small JSON
endpoint its script polls for the photos that arrive while it runs. Both let in exactly
whom the gallery page lets in (galleries/access.py)."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import parse_etags
from django.utils.safestring import mark_safe

from galleries import access, files, share, slideshow
from galleries.access import AccessCodeNeeded, GalleryClosed, GalleryNotFound
from galleries.guest_pages import guest_page


@guest_page
def gallery_slideshow(request, gallery):
    """The slideshow page. Without JavaScript it still shows the photos: one at a time,
    the next one after each refresh (?n=), with the QR code in its corner."""

    shown = slideshow.slides_since(gallery=gallery, photos=access.photos_visible_to(request, gallery), after=None)
    number = request.GET.get("n", "0")
    number = int(number) % len(shown.slides) if number.isdigit() and shown.slides else 0
    card = share.gallery_share_card(request, gallery)
    return render(
        request,
        "galleries/gallery_slideshow.html",
        {
            "gallery": gallery,
            "slide": shown.slides[number] if shown.slides else None,
            "next_number": number + 1,
            "first": {"photos": [vars(slide) for slide in shown.slides], "cursor": shown.cursor},
            "photos_url": reverse("galleries:slideshow_photos", args=[gallery.slug]),
            "qr_svg": mark_safe(share.qr_svg_inline(card.url)),  # segno escapes the address it holds
            "short_link": card.short_link,
            # On the venue's screen, run by its organizer, the room reads the code as on the
            # table cards; a guest's own screen never shows it (they typed it to get here).
            "access_code": card.access_code if access.can_manage_gallery(request.user, gallery) else "",
            "interval_s": settings.SLIDESHOW_INTERVAL_S,
            "poll_s": settings.SLIDESHOW_POLL_S,
            "full_list_s": files.addresses_refresh_seconds(),
        },
    )


def gallery_slideshow_photos(request, slug):
    """The slides processed since ?after= (all, without it) and the cursor to ask with
    next. The answer is named by an ETag: while the gallery does not change, a poll with
    If-None-Match costs the gallery row and a 304.

    Guests who may no longer see the photos are told so in JSON: 410 once the gallery
    has closed, 403 when a private gallery's code is no longer in their session (the
    page then reloads and shows them the closed page or the code form)."""
    try:
        gallery = access.guest_gallery(viewer=access.Viewer.of(request), slug=slug)
    except GalleryNotFound:
        raise Http404
    except GalleryClosed:
        return JsonResponse({"error": "closed"}, status=410)
    except AccessCodeNeeded:
        return JsonResponse({"error": "access code needed"}, status=403)

    after = request.GET.get("after")
    etag = slideshow.slides_etag(gallery=gallery, after=after, language=translation.get_language())
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        shown = slideshow.slides_since(
            gallery=gallery, photos=access.photos_visible_to(request, gallery), after=slideshow.cursor_parse(after)
        )
        response = JsonResponse({"photos": [vars(slide) for slide in shown.slides], "cursor": shown.cursor})
    response["ETag"] = etag
    # Asked again at every poll; kept out of shared caches (a private gallery's photos).
    response["Cache-Control"] = "private, no-cache"
    return response
