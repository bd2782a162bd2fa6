"""What the API's routes share: the galleries a caller may see or change, and the
photos as the API shows them."""

from ninja.errors import AuthenticationError

from api import files
from api.errors import ApiError
from galleries import access
from galleries.models import Gallery, Photo

# Every failure answers with an ErrorOut body; listed in each route's OpenAPI.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 503})

GALLERY_CLOSED = "This gallery has closed: its photos are no longer online."


def visible_gallery(request, gallery_id: int) -> Gallery:
    """The gallery if the caller may know it exists: a listed one, or one their key
    manages. Anything else is not found, never forbidden; a listed one that has closed
    is gone (410) to those who do not manage it."""
    try:
        return access.guest_gallery(viewer=access.Viewer(user=request.auth.user), gallery_id=gallery_id)
    except access.GalleryClosed:
        raise ApiError(410, "gallery_closed", GALLERY_CLOSED)
    except access.GuestRefusal:  # not found; a listed gallery needs no code
        raise ApiError(404, "not_found", "No gallery has this id.")


def manageable_gallery(request, gallery_id: int) -> Gallery:
    """The gallery if the caller's key may change it."""
    user = request.auth.user
    if user is None:
        raise AuthenticationError(message="This needs an API key: send Authorization: Bearer <key>.")
    gallery = visible_gallery(request, gallery_id)
    if not access.can_manage_gallery(user, gallery):
        raise ApiError(403, "forbidden", "This API key cannot change this gallery (it is another organizer's).")
    return gallery


def photo_out(request, photo: Photo, *, gallery: Gallery) -> dict:
    return {
        "id": photo.key,
        "filename": photo.original_filename,
        "status": photo.status,
        "width": photo.width,
        "height": photo.height,
        "file_size": photo.file_size,
        "taken_at": photo.taken_at,
        "created_at": photo.created_at,
        "urls": files.photo_urls(
            request,
            photo,
            listed=gallery.is_listed,
            api_key=request.auth.api_key,
            original_allowed=access.may_download(request.auth.user, gallery, "original"),
            original_kind=access.kind_served(request.auth.user, photo, "original", gallery=gallery),
        ),
    }
