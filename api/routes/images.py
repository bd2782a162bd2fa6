"""/api/image/: uploads waiting to be attached to a gallery, and deleting photos;
/api/files/: the signed addresses of files on local storage."""

import mimetypes
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from api import files
from api.auth import key_required
from api.errors import ApiError
from api.models import PendingUpload
from api.routes.common import ERROR_STATUSES
from api.schemas import ErrorOut, UploadOut
from api.services import PENDING_UPLOAD_LIFETIME, pending_upload_create, pending_upload_delete
from galleries import access
from galleries.services.photos import PhotoUploadError, StorageUnavailable, photo_delete

router = Router(tags=["images"])
files_router = Router(tags=["files"])


@router.post("/upload", auth=key_required, response={201: UploadOut, ERROR_STATUSES: ErrorOut})
def image_upload(request, file: File[UploadedFile]):
    """Stores an image (multipart field `file`) under a name of the application's own,
    for POST /api/gallery/<id>/photos {"filename": ...} to attach within a day."""
    if file.size > settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024:
        raise ApiError(413, "too_large", f"The file is larger than {settings.PHOTO_MAX_UPLOAD_MB} MB.", field="file")
    try:
        pending = pending_upload_create(owner=request.auth.user, upload=file, filename=file.name or "")
    except StorageUnavailable as exc:
        raise ApiError(503, "storage_unavailable", str(exc))
    except PhotoUploadError as exc:
        raise ApiError(400, "rejected", str(exc), field="file")
    return Status(
        201,
        {
            "filename": pending.key,
            "url": files.stored_file_url(request, pending.file.name),
            "file_size": pending.file_size,
            "expires_at": pending.created_at + PENDING_UPLOAD_LIFETIME,
        },
    )


@router.delete("/{photo_id}", auth=key_required, response={204: None, ERROR_STATUSES: ErrorOut})
def image_delete(request, photo_id: UUID):
    """Deletes a photo of the key's organizer, its row and its files together (or an
    upload not attached yet)."""
    user = request.auth.user
    photo = access.photos_managed_by(user).filter(key=photo_id).first()
    if photo is not None:
        photo_delete(photo=photo)
        return Status(204, None)
    pending = access.owned_by(PendingUpload.objects, user, owner_field="owner").filter(key=photo_id).first()
    if pending is not None:
        pending_upload_delete(pending=pending)
        return Status(204, None)
    raise ApiError(404, "not_found", "No photo of this API key's organizer has this id.")


@files_router.get("/{token}", auth=None, include_in_schema=False, url_name="stored_file")
def stored_file(request, token: str):
    """A file by the token the API gave for it, if the access policy lets its holder
    have it now (api/files.py)."""
    file_token = files.file_token_read(token)
    if file_token is None:
        raise ApiError(404, "not_found", "This address is not valid or has expired.")
    name = files.stored_file_name(file_token)
    try:
        fh = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise ApiError(404, "not_found", "This file no longer exists.")
    response = FileResponse(fh, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    # Asked again at every use: the policy is read at each fetch, and no shared cache keeps it.
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response
