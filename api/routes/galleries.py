"""/api/gallery/: the original service's gallery routes, a gallery, its photos."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from ninja import Query, Router, Schema, Status
from pydantic import Field

from api.auth import key_optional, key_required
from api.errors import ApiError
from api.models import PendingUpload
from api.routes.common import ERROR_STATUSES, manageable_gallery, photo_out, visible_gallery
from api.schemas import AttachIn, ErrorOut, GalleryIn, GalleryOut, PhotoOut, PhotoPage
from api.services import pending_upload_attach
from galleries import access
from galleries.models import Gallery
from galleries.services import galleries as galleries_services
from galleries.services.photos import DuplicatePhoto, PhotoUploadError, StorageUnavailable

router = Router(tags=["galleries"])

PAGE_SIZE_MAX = 100


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(settings.PHOTOS_PER_PAGE, ge=1, description=f"At most {PAGE_SIZE_MAX}.")


def _gallery_out(request, gallery: Gallery) -> dict:
    return {
        "id": gallery.pk,
        "slug": gallery.slug,
        "name": gallery.name,
        "description": gallery.description,
        "event_date": gallery.event_date,
        "visibility": gallery.visibility,
        "is_published": gallery.is_published,
        "face_search_enabled": gallery.face_search_enabled,
        "closes_at": gallery.closes_at,
        "url": request.build_absolute_uri(gallery.get_absolute_url()),
        "created_at": gallery.created_at,
        "updated_at": gallery.updated_at,
    }


@router.get("/", auth=key_optional, response={200: list[GalleryOut], ERROR_STATUSES: ErrorOut})
def gallery_list(request):
    """Without a key: the public, published galleries. With one: those too, and every
    gallery of the key's organizer (all galleries for a superuser's key). Galleries that
    have closed are listed to those who manage them only."""
    user = request.auth.user
    return [
        _gallery_out(request, gallery)
        for gallery in access.galleries_visible_to(user)
        if not access.gallery_is_closed_to(user, gallery)
    ]


@router.post("/", auth=key_required, response={201: GalleryOut, ERROR_STATUSES: ErrorOut})
def gallery_create(request, payload: GalleryIn):
    """A new gallery of the key's organizer: a draft unless `is_published` is true."""
    try:
        gallery = galleries_services.gallery_create(owner=request.auth.user, **payload.dict(exclude_none=True))
    except DjangoValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"name": exc.messages}
        field = next(iter(errors))
        message = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        raise ApiError(422, "invalid", message, field=None if field == "__all__" else field)
    return Status(201, _gallery_out(request, gallery))


@router.get("/{gallery_id}", auth=key_optional, response={200: GalleryOut, ERROR_STATUSES: ErrorOut})
def gallery_detail(request, gallery_id: int):
    return _gallery_out(request, visible_gallery(request, gallery_id))


@router.delete("/{gallery_id}", auth=key_required, response={204: None, ERROR_STATUSES: ErrorOut})
def gallery_delete(request, gallery_id: int):
    """Deletes the gallery with its photos and their files."""
    galleries_services.gallery_delete(gallery=manageable_gallery(request, gallery_id))
    return Status(204, None)


@router.get("/{gallery_id}/photos", auth=key_optional, response={200: PhotoPage, ERROR_STATUSES: ErrorOut})
def photo_list(request, gallery_id: int, query: Query[PageQuery]):
    """The gallery's photos in display order, a page at a time. The organizer's key
    sees every photo with its processing status; others see those guests see (ready,
    not a guest's upload held back, not hidden on a guest's request)."""
    gallery = visible_gallery(request, gallery_id)
    photos = gallery.photos.in_display_order()
    user = request.auth.user
    if not access.can_manage_gallery(user, gallery):
        photos = photos.guest_visible()
    page_size = min(query.page_size, PAGE_SIZE_MAX)
    paginator = Paginator(photos, page_size)
    number = query.page
    results = []
    if number <= paginator.num_pages and paginator.count:
        results = [photo_out(request, photo, gallery=gallery) for photo in paginator.page(number).object_list]

    def link(page_number):
        return request.build_absolute_uri(f"{request.path}?{urlencode({'page': page_number, 'page_size': page_size})}")

    return {
        "count": paginator.count,
        "page": number,
        "page_size": page_size,
        "pages": paginator.num_pages if paginator.count else 0,
        "next": link(number + 1) if number < paginator.num_pages and paginator.count else None,
        "previous": link(min(number - 1, paginator.num_pages)) if number > 1 and paginator.count else None,
        "results": results,
    }


@router.post("/{gallery_id}/photos", auth=key_required, response={201: PhotoOut, ERROR_STATUSES: ErrorOut})
def photo_attach(request, gallery_id: int, payload: AttachIn):
    """Makes a file sent to POST /api/image/upload a photo of the gallery; its
    thumbnails are made in the background. Only the organizer who uploaded it can."""
    gallery = manageable_gallery(request, gallery_id)
    not_found = ApiError(
        404,
        "upload_not_found",
        "No upload of this API key's organizer has this filename (uploads not attached within a day are deleted).",
        field="filename",
    )
    pending = PendingUpload.objects.filter(key=payload.filename, owner=request.auth.user).first()
    if pending is None:
        raise not_found
    try:
        photo = pending_upload_attach(pending=pending, gallery=gallery)
    except PendingUpload.DoesNotExist:
        raise not_found
    except DuplicatePhoto as exc:
        raise ApiError(409, "duplicate", f"{exc} Its id is {exc.existing.key}.", field="filename")
    except StorageUnavailable as exc:
        raise ApiError(503, "storage_unavailable", str(exc))
    except PhotoUploadError as exc:
        raise ApiError(400, "rejected", str(exc), field="filename")
    return Status(201, photo_out(request, photo, gallery=gallery))
