"""A guest's favourites in a gallery: hearting a photo (a form, or the gallery page's
script), the list of hearts the script reads, My favourites, its ZIP, and a name.

The gallery page is cached once for everyone (galleries/page_cache.py), so nothing of a
guest is in it: its script asks `favourites_state` (never cached) for the device's
hearts, which also sets the CSRF cookie that the script then sends its hearts with.
The photo page, which is not cached, holds the plain form with its token.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from favourites import services
from favourites.forms import FavouriteForm, GuestNameForm
from galleries import access, download_sizes, downloads
from galleries.guest_pages import guest_page, guest_view_count
from galleries.models import Gallery, GalleryDownload
from galleries.tiles import grid_tiles
from ops.ratelimits import device_id


def _guest(request) -> str:
    return services.guest_key(device=device_id(request))


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _no_store(response):
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@guest_page
def favourites_state(request, gallery):
    """The device's hearts in the gallery, for the gallery page's script."""
    guest = _guest(request)
    guest_view_count(request, gallery, first_request_counts=True)
    get_token(request)  # the CSRF cookie the script sends its hearts with
    return _no_store(
        JsonResponse(
            {
                # Of the photos the visitor sees now: not one that has since been hidden or reprocessed.
                "photos": [str(key) for key in _my_favourites(request, gallery, guest).values_list("key", flat=True)],
                "limit": settings.FAVOURITES_PER_GALLERY,
            }
        )
    )


def _back(request, gallery: Gallery, key) -> str:
    """Where the form goes back to: the page it was sent from, if it is ours, else the photo's page."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("galleries:photo", args=[gallery.slug, key]) + "#favourite"


@require_POST
@guest_page
def favourite_set(request, gallery, key):
    """Hearts or un-hearts a photo: the script gets JSON, the form is sent back where it was."""
    wants_json = _wants_json(request)
    photo = access.photos_visible_to(request, gallery).filter(key=key).first()
    if photo is None:
        if wants_json:
            return JsonResponse({"error": "There is no such photo in this gallery."}, status=404)
        raise Http404
    form = FavouriteForm(request.POST)
    if not form.is_valid():
        message = "Say whether the photo is a favourite (favourite=1 or 0)."
        if wants_json:
            return JsonResponse({"error": message}, status=400)
        return render(request, "favourites/refused.html", {"gallery": gallery, "message": message}, status=400)
    try:
        favourite = services.favourite_set(
            gallery=gallery, photo=photo, guest=_guest(request), favourite=form.cleaned_data["favourite"]
        )
    except services.FavouriteLimitReached as exc:
        if wants_json:
            return JsonResponse({"error": str(exc)}, status=400)
        return render(request, "favourites/refused.html", {"gallery": gallery, "message": str(exc)}, status=400)
    if wants_json:
        return _no_store(JsonResponse({"photo": str(photo.key), "favourite": favourite}))
    return redirect(_back(request, gallery, photo.key))


def _my_favourites(request, gallery: Gallery, guest: str):
    return (
        access.photos_visible_to(request, gallery)
        .filter(favourites__guest=guest)
        .order_by("favourites__created_at", "favourites__id")
    )


@require_GET
@guest_page
def my_favourites(request, gallery):
    """My favourites: the photos this device hearted, to look at again, remove, download."""
    guest_view_count(request, gallery, first_request_counts=False)
    guest = _guest(request)
    photos = list(
        _my_favourites(request, gallery, guest).only(
            "gallery",
            "key",
            "width",
            "height",
            "thumbnail",
            "middle",
            "display",
            "guest_name",
            "original_filename",
            "faces_blurred",
        )
    )
    # The gallery's justified rows, each photo whole; numbered among the favourites.
    tiles = grid_tiles(gallery, photos, first_number=1, total=len(photos), download_kind=None)
    name = services.guest_name(gallery=gallery, guest=guest)
    response = render(
        request,
        "favourites/my_favourites.html",
        {
            "gallery": gallery,
            "tiles": tiles,
            "download_menu": download_sizes.zip_menu(
                request.user, gallery=gallery, photos=photos, url=reverse("favourites:download", args=[gallery.slug])
            ),
            "name_form": GuestNameForm(initial={"name": name}),
            "name": name,
            "limit": settings.FAVOURITES_PER_GALLERY,
        },
    )
    return _no_store(response)


@require_GET
@guest_page
def favourites_download(request, gallery):
    """My favourites as one ZIP, of the files the gallery's download policy gives this visitor."""
    if access.download_kind(request.user, gallery) is None:
        raise PermissionDenied
    # stored_name() reads the four file names; download_name() the uploaded one.
    photos = list(
        _my_favourites(request, gallery, _guest(request)).only(
            "gallery", "key", "original", "thumbnail", "middle", "display", "original_filename", "faces_blurred"
        )
    )
    if not photos:
        messages.info(request, _("You have no favourites here yet: tap the heart on a photo."))
        return redirect("favourites:list", slug=gallery.slug)
    return downloads.gallery_zip_response(
        request,
        gallery=gallery,
        photos=photos,
        what=GalleryDownload.What.FAVOURITES,
        filename=f"{gallery.slug}-favourites.zip",
    )


@require_POST
@guest_page
def guest_name(request, gallery):
    """The name the guest gives, so that the organizer knows whose favourites these are."""
    form = GuestNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("name", [_("That name cannot be kept.")])))
        return redirect("favourites:list", slug=gallery.slug)
    name = services.guest_name_set(gallery=gallery, guest=_guest(request), name=form.cleaned_data["name"])
    messages.success(request, _("Thank you, %(name)s.") % {"name": name} if name else _("Your name was removed."))
    return redirect("favourites:list", slug=gallery.slug)
