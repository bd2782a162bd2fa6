"""What every guest page of a gallery shares, whichever app draws it (galleries, faces,
favourites): the guest gate's refusals answered as pages, and the counting of views.

A guest page is let in by access.guest_gallery alone (the @guest_page decorator): a
gallery the visitor may not know of is not found (404), one that has closed to them is
the closed page (410), a private one whose code is not in their session sends them to
the code's page. Pages that answer otherwise (the code's page itself, the link preview
image, the slideshow's JSON) map the same refusals their own way.
"""

import functools

from django.http import Http404
from django.shortcuts import redirect, render

from galleries import access, stats
from galleries.access import AccessCodeNeeded, GalleryClosed, GuestRefusal
from galleries.contact import gallery_contact
from galleries.models import Gallery
from ops.ratelimits import device_id


def guest_page(view):
    """Lets a guest page's view (request, slug, ...) in through the guest gate: the view
    is called as view(request, gallery, ...) with the gallery the visitor may have, and
    a refusal is answered by guest_refusal_page."""

    @functools.wraps(view)
    def page(request, slug, *args, **kwargs):
        try:
            gallery = access.guest_gallery(viewer=access.Viewer.of(request), slug=slug)
        except GuestRefusal as refusal:
            return guest_refusal_page(request, refusal)
        return view(request, gallery, *args, **kwargs)

    return page


def guest_refusal_page(request, refusal: GuestRefusal):
    """The answer of a guest page to a refusal of the gate: the closed page (410), the
    access code's page (a redirect), else not found (raised)."""
    if isinstance(refusal, GalleryClosed):
        return gallery_closed_page(request, refusal.gallery)
    if isinstance(refusal, AccessCodeNeeded):
        return redirect("galleries:access", slug=refusal.gallery.slug)
    raise Http404


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
