"""POST /api/gallery/<id>/find-me: Find me through the page's own service
(faces/uploads.py: selfie_from_request; faces/services/find_me.py: find_me_search), so with the same rules: consent
stated in the request, the selfie held in memory only and never stored or logged, the
same rate limits (per device or API key, per address); this module only turns the
service's refusals into the API's error shape."""

from django.utils import translation
from ninja import Router

from api.auth import key_optional
from api.errors import ApiError, error_response
from api.routes.common import ERROR_STATUSES, photo_out, visible_gallery
from api.schemas import ErrorOut, FindMeOut
from faces.services.find_me import (
    ConsentRequired,
    FindMeRefused,
    SelfieFormInvalid,
    SelfieTooLarge,
    TooManySearches,
    find_me_search,
)
from faces.services.search import FaceSearchDisabled, FaceSearchError, NoFaceFound, SeveralFacesFound
from faces.uploads import selfie_from_request, selfie_upload_prepare
from ops.ratelimits import client_ip, device_id

router = Router(tags=["find me"])

FIND_ME_OFF = "Find me is not switched on for this gallery."

REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["consent", "selfie"],
                "properties": {
                    "consent": {
                        "type": "string",
                        "enum": ["true"],
                        "description": "The guest agrees that the selfie is used for this search only, "
                        "and never kept. Without it nothing is searched.",
                    },
                    "selfie": {"type": "string", "format": "binary", "description": "A photo of one face."},
                },
            }
        }
    },
}


@router.post(
    "/{gallery_id}/find-me",
    auth=key_optional,
    response={200: FindMeOut, ERROR_STATUSES: ErrorOut},
    openapi_extra={"requestBody": REQUEST_BODY},
)
def find_me(request, gallery_id: int):
    """The gallery's photos the selfie's person is in: "you" and "maybe you", strongest
    first, with the face found, and how many of the gallery's photos were searched
    (`photos_searched` of `photos_total`: fewer while indexing is not done; search again
    later to look in the rest). Multipart fields `consent` (true) and `selfie`."""
    # Before anything reads the body: the selfie never touches the disk (faces/uploads.py).
    upload = selfie_upload_prepare(request)
    gallery = visible_gallery(request, gallery_id)
    try:
        selfie = selfie_from_request(
            request,
            upload=upload,
            gallery=gallery,
            device=_device(request),
            address=client_ip(request),
            consent_given=False,  # stated in each request
        )
        result = find_me_search(gallery=gallery, selfie=selfie)
    except TooManySearches as exc:
        response = error_response(
            429, "You have searched several times in the last few minutes. Please wait a few minutes and try again."
        )
        response["Retry-After"] = str(exc.retry_after_s)
        return response
    except (FindMeRefused, FaceSearchError) as exc:
        raise _api_error(exc)

    return {
        "faces_in_selfie": result.faces_in_selfie,
        "you": [_match_out(request, match, gallery=gallery) for match in result.sure],
        "maybe_you": [_match_out(request, match, gallery=gallery) for match in result.maybe],
        "photos_searched": result.coverage.searched,
        "photos_total": result.coverage.total,
    }


def _match_out(request, match, *, gallery) -> dict:
    return {
        "photo": photo_out(request, match.photo, gallery=gallery),
        "face": {
            "left": match.face.box_left,
            "top": match.face.box_top,
            "width": match.face.box_width,
            "height": match.face.box_height,
        },
        "similarity": round(match.similarity, 2),
    }


def _api_error(exc: FindMeRefused | FaceSearchError) -> ApiError:
    """A refusal of Find me's rules in the API's error shape, in English whatever the
    caller's language (the services' messages are the guest page's, translated)."""
    with translation.override("en"):
        return _api_error_in_english(exc)


def _api_error_in_english(exc: FindMeRefused | FaceSearchError) -> ApiError:
    if isinstance(exc, FaceSearchDisabled):
        return ApiError(404, "find_me_off", FIND_ME_OFF)
    if isinstance(exc, SelfieTooLarge):
        return ApiError(413, "too_large", f"That photo is larger than {exc.max_mb} MB.", field="selfie")
    if isinstance(exc, ConsentRequired):
        return ApiError(
            400,
            "consent_required",
            "Send consent=true: the guest agrees that the selfie is used for this search only and never kept.",
            field="consent",
        )
    if isinstance(exc, SelfieFormInvalid):
        return ApiError(400, "invalid", exc.message, field=exc.field)
    if isinstance(exc, NoFaceFound):
        return ApiError(400, "no_face", str(exc), field="selfie")
    if isinstance(exc, SeveralFacesFound):
        return ApiError(400, "several_faces", str(exc), field="selfie")
    if exc.is_outage:
        return ApiError(503, "unavailable", str(exc))
    return ApiError(400, "unreadable", str(exc), field="selfie")


def _device(request) -> str:
    """Who counts as the device: the API key if one is sent, the page's device cookie if
    the caller keeps it, else the address (callers without cookies share their address's
    device limit, as well as its ceiling)."""
    caller = request.auth
    if caller is not None and caller.api_key is not None:
        return f"api-key:{caller.api_key.pk}"
    device = device_id(request, issue=False)
    return f"cookie:{device}" if device else f"address:{client_ip(request)}"
