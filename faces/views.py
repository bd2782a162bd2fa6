"""Find me, the guest's side: consent, one selfie, the photos they appear in.

The selfie lives only as long as the request: it is read into memory (faces/uploads.py),
searched with and dropped, and nothing about it is logged. The search answers with a
redirect (303) to the results page, whose link carries the results, signed and expiring
(faces/services/results_token.py): Back returns to the form without sending the selfie again, and
reloading the results works. The results page checks access to the gallery each time.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from faces import consent, privacy
from faces.forms import NotMeForm, SelfieForm
from faces.selectors import find_me_coverage
from faces.services.find_me import (
    ConsentRequired,
    SelfieFormInvalid,
    SelfieTooLarge,
    TooManySearches,
    find_me_search,
)
from faces.services.results_token import (
    FindMeResultsExpired,
    FindMeResultsInvalid,
    FindMeResultsPhotoUnknown,
    find_me_results_photos,
    find_me_results_read,
    find_me_results_token,
    find_me_results_without,
)
from faces.services.search import FaceSearchDisabled, FaceSearchError
from faces.uploads import SelfieUploadHandler, selfie_from_request, selfie_upload_prepare
from galleries import access, download_sizes, downloads, layout
from galleries.access import GuestRefusal
from galleries.decoding import DecodeBusy
from galleries.guest_pages import guest_page, guest_refusal_page
from galleries.models import GalleryDownload
from galleries.tiles import photo_tile
from ops.ratelimits import client_ip, device_id

# The guest agreed to how their selfie is used; nothing else about it is kept.
CONSENT_SESSION_KEY = "find_me_consent"
# The results page's query parameter: the signed results.
RESULTS_PARAMETER = "r"
# The download's query parameter: the maybes too ("1").
WITH_MAYBE_PARAMETER = "maybe"


def find_me_page(view):
    """A page of Find me's results or its privacy text: let in as every guest page
    (galleries/guest_pages.py), and answered by the "Find me is off" page (404) while the
    gallery has Find me off. The view is called as view(request, gallery)."""

    @guest_page
    @functools.wraps(view)
    def page(request, gallery, *args, **kwargs):
        if not gallery.face_search_enabled:
            return _face_search_off(request, gallery)
        return view(request, gallery, *args, **kwargs)

    return page


def _results_gallery(request, slug):
    """find_me_page's gate for the one view that adds to its answers (the download):
    the gallery and None, or the gallery (None when not known) and the page that says
    why this visitor may not have it (closed, its code, Find me off)."""
    try:
        gallery = access.guest_gallery(viewer=access.Viewer.of(request), slug=slug)
    except GuestRefusal as refusal:
        return refusal.gallery, guest_refusal_page(request, refusal)
    if not gallery.face_search_enabled:
        return gallery, _face_search_off(request, gallery)
    return gallery, None


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def find_me(request, slug):
    # The upload handlers must be set before anything reads request.POST, which the
    # CSRF check does: hence exempt out here and protected inside (Django's
    # "Modifying upload handlers on the fly").
    upload = selfie_upload_prepare(request)
    return _find_me(request, slug, upload)


@csrf_protect
@guest_page
def _find_me(request, gallery, upload: SelfieUploadHandler):
    if not gallery.face_search_enabled:
        return _face_search_off(request, gallery)

    consent_given = bool(request.session.get(CONSENT_SESSION_KEY))
    if request.method == "GET":
        keep_selfie = not find_me_coverage(gallery=gallery).complete
        return _form_page(request, gallery, SelfieForm(consent_given=consent_given), keep_selfie=keep_selfie)

    try:
        selfie = selfie_from_request(
            request,
            upload=upload,
            gallery=gallery,
            device=f"cookie:{device_id(request)}",
            address=client_ip(request),
            consent_given=consent_given,
        )
        if not consent_given:
            request.session[CONSENT_SESSION_KEY] = True
        result = find_me_search(gallery=gallery, selfie=selfie)
    except FaceSearchDisabled:
        return _face_search_off(request, gallery)
    except TooManySearches as exc:
        response = _form_page(
            request,
            gallery,
            SelfieForm(consent_given=consent_given),
            problem="You have searched several times in the last few minutes. Please wait a few minutes and try again.",
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after_s)
        return response
    except SelfieTooLarge as exc:
        problem = f"That photo is larger than {exc.max_mb} MB. Take a new selfie or choose a smaller photo."
        return _form_page(request, gallery, SelfieForm(consent_given=consent_given), problem=problem, status=413)
    except (ConsentRequired, SelfieFormInvalid) as exc:
        return _form_page(request, gallery, exc.form, status=400)
    except DecodeBusy as exc:
        response = _form_page(request, gallery, SelfieForm(consent_given=True), problem=str(exc), status=503)
        response["Retry-After"] = str(exc.retry_after_s)
        return response
    except FaceSearchError as exc:
        return _form_page(request, gallery, SelfieForm(consent_given=True), problem=str(exc), status=_status_of(exc))

    token = find_me_results_token(gallery=gallery, result=result)
    # 303 See Other: the browser asks for the results with a GET, and its history holds
    # that GET, not the POST (Back does not offer to send the selfie again).
    response = HttpResponseRedirect(_results_url(gallery, token))
    response.status_code = 303
    return response


@never_cache
@require_GET
@find_me_page
def find_me_results(request, gallery):
    token = request.GET.get(RESULTS_PARAMETER, "")
    try:
        results = find_me_results_read(gallery=gallery, token=token)
    except FindMeResultsExpired:
        return _results_gone(request, gallery, expired=True)
    except FindMeResultsInvalid:
        return _results_gone(request, gallery, expired=False)
    download_kind = access.download_kind(request.user, gallery)
    # While the search did not look in every photo: how many are searchable now.
    coverage_now = find_me_coverage(gallery=gallery) if results.coverage else None
    you = [_match_tile(found, download_kind=download_kind) for found in results.sure]
    maybe_you = [_match_tile(found, download_kind=download_kind) for found in results.maybe]
    for tile in (*you, *maybe_you):
        tile["download_menu"] = download_sizes.photo_menu(request.user, gallery=gallery, photo=tile["photo"])
    download_url = reverse("faces:find_me_results_download", args=[gallery.slug])
    download_you_url = f"{download_url}?{urlencode({RESULTS_PARAMETER: token})}"
    download_with_maybe_url = f"{download_url}?{urlencode({RESULTS_PARAMETER: token, WITH_MAYBE_PARAMETER: 1})}"
    return render(
        request,
        "faces/find_me_results.html",
        {
            **_form_context(gallery, SelfieForm(consent_given=bool(request.session.get(CONSENT_SESSION_KEY)))),
            "results_token": token,
            # Results searched with a copy of a gallery photo hide nothing (faces/copies.py).
            "hide_form": bool(you or maybe_you) and not results.from_copy,
            "from_copy": results.from_copy,
            "from_copy_message": privacy.FROM_COPY_MESSAGE,
            "hide_at_once_photos": privacy.hide_at_once_photos(),
            "you": you,
            "maybe_you": maybe_you,
            "faces_in_selfie": results.faces_in_selfie,
            "download_kind": download_kind,
            "download_you_menu": download_sizes.zip_menu(
                request.user, gallery=gallery, photos=[f.photo for f in results.sure], url=download_you_url
            ),
            "download_with_maybe_menu": download_sizes.zip_menu(
                request.user,
                gallery=gallery,
                photos=[f.photo for f in [*results.sure, *results.maybe]],
                url=download_with_maybe_url,
            ),
            "with_maybe_count": len(you) + len(maybe_you),
            "coverage": results.coverage,
            "more_ready": coverage_now is not None and coverage_now.searched > results.coverage.searched,
            "keep_selfie": results.coverage is not None,
        },
    )


@never_cache
@require_GET
@find_me_page
def find_me_progress(request, gallery):
    """How far indexing has got for the photos guests see, for a results page that
    searched only some of them to say when more are ready (find-me.js asks now and
    then). Nothing of any search is sent or needed."""
    coverage = find_me_coverage(gallery=gallery)
    return JsonResponse(
        {
            "photos_searched": coverage.searched,
            "photos_total": coverage.total,
            "photos_failed": coverage.failed,
            "complete": coverage.complete,
        }
    )


@never_cache
@require_POST
@find_me_page
def find_me_results_not_me(request, gallery):
    """ "That's not me" on a photo of the results: the same results without it, for the
    rest of this search, and nothing stored (the link's token is signed again without
    the photo). The enhanced page posts the same form and follows the redirect."""
    form = NotMeForm(request.POST)
    if not form.is_valid():
        return _results_gone(request, gallery, expired=False)
    token = form.cleaned_data["r"]
    try:
        token = find_me_results_without(gallery=gallery, token=token, photo_key=form.cleaned_data["photo"])
    except FindMeResultsExpired:
        return _results_gone(request, gallery, expired=True)
    except FindMeResultsPhotoUnknown as exc:
        # The same results, unchanged, with the reason: a tile sent twice, or a forged key.
        messages.error(request, str(exc))
    except FindMeResultsInvalid:
        return _results_gone(request, gallery, expired=False)
    response = HttpResponseRedirect(_results_url(gallery, token))
    response.status_code = 303
    return response


def _results_url(gallery, token: str) -> str:
    return f"{reverse('faces:find_me_results', args=[gallery.slug])}?{urlencode({RESULTS_PARAMETER: token})}"


@require_GET
def find_me_results_download(request, slug):
    """The results' "Download all my photos": their photos in one ZIP, of the files the
    gallery's download policy gives this visitor. The photos that are "you" by default:
    "my photos" are those we are sure of, and a stranger's photo in the archive would be
    a surprise; with ?maybe=1 the maybes too, for the guest who saw themselves among
    them. Every check of the results page is made again, the link being only a link."""
    gallery, refusal = _results_gallery(request, slug)
    if refusal is None:
        if access.download_kind(request.user, gallery) is None:
            raise PermissionDenied
        try:
            photos = find_me_results_photos(
                gallery=gallery,
                token=request.GET.get(RESULTS_PARAMETER, ""),
                with_maybe=request.GET.get(WITH_MAYBE_PARAMETER) == "1",
            )
        except FindMeResultsExpired:
            refusal = _results_gone(request, gallery, expired=True)
        except FindMeResultsInvalid:
            refusal = _results_gone(request, gallery, expired=False)
    if refusal is not None:
        refusal["Cache-Control"] = "private, no-store"
        return refusal
    return downloads.gallery_zip_response(
        request,
        gallery=gallery,
        photos=list(photos),
        what=GalleryDownload.What.FIND_ME,
        filename=f"{gallery.slug}-my-photos.zip",
    )


@never_cache
@require_POST
@find_me_page
def find_me_hide(request, gallery):
    """ "Hide photos of me": the photos ticked on the results page (or all of them, with
    the form's second button) are hidden or have the guest's face blurred, at once or
    once the organizer approves (faces/privacy.py). Then back to the results, which no
    longer show the photos hidden."""
    token = request.POST.get(RESULTS_PARAMETER, "")
    try:
        hide_request = privacy.hide_request_create(
            gallery=gallery,
            token=token,
            photo_keys=request.POST.getlist("photo"),
            hide_all=request.POST.get("all") == "1",
            contact=request.POST.get("contact", ""),
            device=f"cookie:{device_id(request)}",
            address=client_ip(request),
        )
    except privacy.HideResultsInvalid as exc:
        return _results_gone(request, gallery, expired=exc.expired)
    except privacy.HideRequestRefused as exc:
        status = 429 if isinstance(exc, privacy.TooManyHideRequests) else 400
        response = render(
            request,
            "faces/find_me_hide_refused.html",
            {"gallery": gallery, "problem": str(exc), "results_url": _results_url(gallery, token)},
            status=status,
        )
        if isinstance(exc, privacy.TooManyHideRequests):
            response["Retry-After"] = str(exc.retry_after_s)
        return response
    count = hide_request.entries.count()
    photos = f"{count} photo{'s' if count != 1 else ''}"
    if hide_request.status == hide_request.Status.APPLIED:
        if hide_request.action == gallery.HideAction.HIDE:
            done = "hidden from the gallery: they no longer appear here" if count != 1 else "hidden from the gallery"
        else:
            done = "being blurred where your face is"
        messages.success(request, f"Done: {photos} {'is' if count == 1 else 'are'} {done}.")
    elif privacy.hide_request_waits_for_budget(hide_request):
        messages.success(
            request,
            f"Thank you: the organizers will look at your request to hide {photos}. Only a few photos are hidden "
            "at once, so that no one can have photos of other people hidden.",
        )
    else:
        messages.success(request, f"Thank you: the organizer will review your request to hide {photos}.")
    response = HttpResponseRedirect(_results_url(gallery, token))
    response.status_code = 303
    return response


@require_GET
@find_me_page
def privacy_page(request, gallery):
    """The gallery's privacy page: what Find me processes, where, for how long, and how
    to have photos hidden; generated from the gallery's settings and the server's."""
    policy = consent.privacy_policy(gallery=gallery)
    return render(
        request,
        "faces/privacy.html",
        {
            "gallery": gallery,
            "facts": policy.facts,
            "version": policy.version,
            "results_last": _duration(settings.FIND_ME_RESULTS_MAX_AGE_S),
            "find_me_url": reverse("faces:find_me", args=[gallery.slug]),
        },
    )


def _form_context(gallery, form, *, problem="", keep_selfie=False) -> dict:
    return {
        "gallery": gallery,
        # Not every photo searchable yet: the enhanced form keeps the selfie in the
        # browser's memory (never here) to search again with (find-me.js).
        "keep_selfie": keep_selfie,
        "form": form,
        "problem": problem,
        "selfie_max_mb": settings.SELFIE_MAX_MB,
        "results_last": _duration(settings.FIND_ME_RESULTS_MAX_AGE_S),
    }


def _form_page(request, gallery, form, *, problem="", status=200, keep_selfie=False):
    context = _form_context(gallery, form, problem=problem, keep_selfie=keep_selfie)
    return render(request, "faces/find_me.html", context, status=status)


def _results_gone(request, gallery, *, expired: bool):
    # Not an error of ours: the link is old, cut short or made for another gallery.
    # The page says so and offers a new search.
    form = SelfieForm(consent_given=bool(request.session.get(CONSENT_SESSION_KEY)))
    context = {**_form_context(gallery, form), "expired": expired}
    return render(request, "faces/find_me_results_gone.html", context, status=410 if expired else 400)


def _face_search_off(request, gallery):
    return render(request, "faces/find_me_off.html", {"gallery": gallery}, status=404)


def _status_of(exc: FaceSearchError) -> int:
    # The engine failing (Rekognition down or throttled) is not the guest's fault.
    return 503 if exc.is_outage else 400


def _match_tile(found, *, download_kind: str | None) -> dict:
    tile = photo_tile(found.photo, download_kind=download_kind)
    crop = face_crop(found.face_box, width=found.photo.width, height=found.photo.height)
    return {
        **tile,
        # Results' rows are taller on a phone than the gallery's (find-me.css, .match-grid).
        "sizes": _match_sizes(tile["aspect"]),
        "face_box": found.face_box,
        "face_crop": crop,
        # The crop shows the photo this many CSS pixels wide: the browser picks the
        # smallest of the tile's images that is sharp there, at most the middle one.
        "face_crop_sizes": f"{min(layout.PHONE_MAX_PX, round(FACE_CROP_PX * crop['scale']))}px",
        "similarity": found.similarity,
    }


# The face crop beside each result: its side in CSS pixels (find-me.css, .match-face),
# and how much of the photo around the face it shows, as a multiple of the face's
# larger side, so that hair and chin are in it and the face is still recognised.
FACE_CROP_PX = 72
FACE_CROP_MARGIN = 1.7
# The results' row heights in CSS pixels from each viewport width: find-me.css's `--row`.
MATCH_ROW_HEIGHTS = ((1200, 240), (600, 200), (0, 130))


def face_crop(face_box: dict[str, float], *, width: int, height: int) -> dict[str, float]:
    """Where the photo goes inside a square window so that the window shows the face:
    the photo's width as a multiple of the window's side (`scale`) and its left and
    top edges as multiples of it (`left`, `top`, zero or less). The window stays inside
    the photo, so it never shows an empty edge; a face larger than it allows is shown whole."""
    aspect = max(width, 1) / max(height, 1)
    # In units of the photo's width.
    face_width = face_box["width"] / 100
    face_height = face_box["height"] / 100 / aspect
    side = min(max(face_width, face_height, 0.01) * FACE_CROP_MARGIN, 1.0, 1 / aspect)
    centre_x = (face_box["left"] + face_box["width"] / 2) / 100
    centre_y = (face_box["top"] + face_box["height"] / 2) / 100 / aspect
    left = min(max(centre_x - side / 2, 0.0), 1.0 - side)
    top = min(max(centre_y - side / 2, 0.0), 1 / aspect - side)
    return {"scale": round(1 / side, 4), "left": round(-left / side, 4), "top": round(-top / side, 4)}


def _match_sizes(aspect: float) -> str:
    parts = []
    for min_width, row_px in MATCH_ROW_HEIGHTS:
        width = round(aspect * row_px * layout.ROW_GROWTH)
        if min_width:
            parts.append(f"(min-width: {min_width}px) {width}px")
        else:
            parts.append(f"{min(width, layout.PHONE_MAX_PX)}px")
    return ", ".join(parts)


def _duration(seconds: int) -> str:
    """How long the results link works, in words: "1 hour", "2 hours", "30 minutes"."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
