"""Find me, the guest's side: consent, one selfie, the photos they appear in.

The selfie lives only as long as the request: it is read into memory (faces/uploads.py),
searched with and dropped. The answer is rendered at once, never redirected to, cached
or stored, and nothing about the selfie is logged.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from faces.forms import SelfieForm
from faces.services import FaceSearchDisabled, FaceSearchError, face_search, face_search_allowed, read_selfie
from faces.uploads import SelfieUploadHandler
from galleries import access
from galleries.views import _photo_tile
from ops.ratelimits import client_ip, device_id

# The guest agreed to how their selfie is used; nothing else about it is kept.
CONSENT_SESSION_KEY = "find_me_consent"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def find_me(request, slug):
    # The upload handlers must be set before anything reads request.POST, which the
    # CSRF check does: hence exempt out here and protected inside (Django's
    # "Modifying upload handlers on the fly").
    upload = SelfieUploadHandler(request, max_bytes=settings.SELFIE_MAX_MB * 1024 * 1024)
    request.upload_handlers = [upload]
    return _find_me(request, slug, upload)


@csrf_protect
def _find_me(request, slug, upload: SelfieUploadHandler):
    gallery = access.gallery_for_visitor(request, slug)
    if not access.gallery_is_open(request, gallery):
        return redirect("galleries:access", slug=gallery.slug)
    if not gallery.face_search_enabled:
        return _face_search_off(request, gallery)

    consent_given = bool(request.session.get(CONSENT_SESSION_KEY))
    if request.method == "GET":
        return _form_page(request, gallery, SelfieForm(consent_given=consent_given))

    limit = face_search_allowed(device=f"cookie:{device_id(request)}", address=client_ip(request))
    if not limit.allowed:
        response = _form_page(
            request,
            gallery,
            SelfieForm(consent_given=consent_given),
            problem="You have searched several times in the last few minutes. Please wait a few minutes and try again.",
            status=429,
        )
        response["Retry-After"] = str(limit.retry_after_s)
        return response

    files = request.FILES  # reads the body, unless the CSRF check already did
    if upload.too_large:
        return _form_page(
            request,
            gallery,
            SelfieForm(consent_given=consent_given),
            problem=(
                f"That photo is larger than {settings.SELFIE_MAX_MB} MB. Take a new selfie or choose a smaller photo."
            ),
            status=413,
        )
    form = SelfieForm(request.POST, files, consent_given=consent_given)
    if not form.is_valid():
        return _form_page(request, gallery, form, status=400)
    if not consent_given:
        request.session[CONSENT_SESSION_KEY] = True

    try:
        result = face_search(gallery=gallery, selfie=read_selfie(form.cleaned_data["selfie"]))
    except FaceSearchDisabled:
        return _face_search_off(request, gallery)
    except FaceSearchError as exc:
        return _form_page(request, gallery, SelfieForm(consent_given=True), problem=str(exc), status=_status_of(exc))

    download_kind = access.download_kind(request.user, gallery)
    return render(
        request,
        "faces/find_me_results.html",
        {
            "gallery": gallery,
            "form": SelfieForm(consent_given=True),
            "you": [_match_tile(match, download_kind=download_kind) for match in result.sure],
            "maybe_you": [_match_tile(match, download_kind=download_kind) for match in result.maybe],
            "faces_in_selfie": result.faces_in_selfie,
            "selfie_max_mb": settings.SELFIE_MAX_MB,
        },
    )


def _form_page(request, gallery, form, *, problem="", status=200):
    return render(
        request,
        "faces/find_me.html",
        {"gallery": gallery, "form": form, "problem": problem, "selfie_max_mb": settings.SELFIE_MAX_MB},
        status=status,
    )


def _face_search_off(request, gallery):
    return render(request, "faces/find_me_off.html", {"gallery": gallery}, status=404)


def _status_of(exc: FaceSearchError) -> int:
    # The engine failing (Rekognition down or throttled) is not the guest's fault.
    return 503 if exc.is_outage else 400


def _match_tile(match, *, download_kind: str | None) -> dict:
    return {
        **_photo_tile(match.photo, download_kind=download_kind),
        "face_box": match.face.box_percent,
        "similarity": match.similarity,
    }
