"""What the JSON API does beyond the galleries' and faces' services: API keys, and
uploads that wait to be attached to a gallery.

A pending upload keeps the galleries' rule: its file is stored before its row and
removed if the row cannot be written; files are deleted only once the deletion of
their rows has committed. Attaching one goes through galleries.services.photos.photo_create,
so that it is checked, named, deduplicated and processed like any upload.
"""

import hashlib
import logging
import re
import secrets
import uuid
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from api.models import ApiKey, PendingUpload
from galleries.models import Gallery, Photo
from galleries.services.photos import (
    FORMAT_EXTENSIONS,
    files_delete,
    files_delete_on_commit,
    photo_create,
    upload_filename,
    upload_hash_and_size,
    upload_inspect,
    upload_store,
)
from galleries.services.stored_files import stored_files_orphaned_delete

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^eg_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{40,64})$")
# Writing last_used_at on every request would make each read a write.
LAST_USED_PRECISION = timedelta(minutes=5)
PENDING_UPLOADS_FOLDER = "uploads"
PENDING_UPLOAD_LIFETIME = timedelta(days=1)


# --- API keys ---------------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough, nothing can be guessed.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, user, name: str) -> tuple[ApiKey, str]:
    """A new key for the user; returns the row and the key, which is never seen again."""
    secret = secrets.token_urlsafe(32)
    while True:
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey(user=user, name=name, prefix=prefix, secret_hash=_secret_hash(secret))
    api_key.full_clean()
    api_key.save()
    return api_key, f"eg_{prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key of an active organizer that `key` is, or None."""
    match = KEY_RE.match(key)
    if match is None:
        return None
    api_key = ApiKey.objects.active().select_related("user").filter(prefix=match["prefix"]).first()
    if api_key is None or not constant_time_compare(api_key.secret_hash, _secret_hash(match["secret"])):
        return None
    user = api_key.user
    if not (user.is_active and user.is_staff):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key


# --- Pending uploads --------------------------------------------------------------------


def pending_upload_create(*, owner, upload: File, filename: str) -> PendingUpload:
    """Checks an image as photo_create would and stores it under a name the application
    makes, waiting for its owner to attach it to a gallery. Raises
    galleries.services.photos.PhotoUploadError and leaves nothing behind."""
    filename = upload_filename(filename)
    content_hash, size = upload_hash_and_size(upload=upload)
    info = upload_inspect(upload=upload)
    key = uuid.uuid4()
    extension = FORMAT_EXTENSIONS.get(info.format, "bin")
    name = f"{PENDING_UPLOADS_FOLDER}/{key}/original.{extension}"
    stored_name = upload_store(upload=upload, name=name, filename=filename)
    try:
        return PendingUpload.objects.create(
            key=key,
            owner=owner,
            file=stored_name,
            original_filename=filename,
            content_hash=content_hash,
            file_size=size,
        )
    except BaseException:
        files_delete([stored_name])
        raise


def pending_upload_attach(*, pending: PendingUpload, gallery: Gallery) -> Photo:
    """Makes the pending upload a photo of the gallery (its processing queued) and
    forgets the upload. Raises galleries.services.photos.PhotoUploadError (DuplicatePhoto
    among them), leaving the upload as it was."""
    photo = None
    try:
        with transaction.atomic():
            # Locked and deleted first: two attaches of one upload make one photo.
            deleted, _ = PendingUpload.objects.filter(pk=pending.pk).delete()
            if not deleted:
                raise PendingUpload.DoesNotExist
            with pending.file.open("rb") as fh:
                photo = photo_create(
                    gallery=gallery, upload=File(fh, name=pending.original_filename), filename=pending.original_filename
                )
            files_delete_on_commit([pending.file.name])
    except BaseException:
        if photo is not None:  # the commit itself failed: the photo's row is gone, so is its file
            files_delete(photo.stored_names)
        raise
    return photo


@transaction.atomic
def pending_upload_delete(*, pending: PendingUpload) -> None:
    name = pending.file.name
    pending.delete()
    files_delete_on_commit([name])


def pending_uploads_clean(*, older_than: timedelta = PENDING_UPLOAD_LIFETIME) -> int:
    """Deletes the uploads never attached within `older_than`, and files under the
    uploads folder that have had no row for as long (a process killed between storing
    a file and writing its row). Returns how many uploads and files went."""
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        old = list(PendingUpload.objects.filter(created_at__lt=cutoff))
        PendingUpload.objects.filter(pk__in=[pending.pk for pending in old]).delete()
        files_delete_on_commit([pending.file.name for pending in old])
    return len(old) + stored_files_orphaned_delete(stored_before=cutoff, folders=[PENDING_UPLOADS_FOLDER])
