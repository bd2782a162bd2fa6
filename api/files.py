"""Addresses of stored files in the API's answers: always absolute, and never a
guessable public address for anything that is not in a listed gallery.

On S3 they are the bucket's signed URLs, short-lived (S3_SIGNED_URL_SECONDS). On local
storage, photos of listed galleries go through galleries' access-checked view;
everything else (photos of private, unlisted or draft galleries, pending uploads)
through /api/files/<token>, a URL signed here that expires like S3's.

A token proves whom it was given to (the API key, or no key) and what it names (a
photo and a kind of file, or a pending upload): never that the file may still be
sent. The access policy is read again at every fetch (`photo_file_name`): a gallery
that has closed answers 410, a photo hidden on a guest's request or no longer shown
to guests is not found, an original the download policy no longer allows is
forbidden, and a photo whose faces were blurred gives a guest its blurred display
image, whatever the policy was when the token was made.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from api.errors import ApiError
from api.models import ApiKey, PendingUpload
from galleries import access, files
from galleries.models import Photo

# Tokens made before they named a photo (they named its stored file) are not read.
SIGNING_SALT = "api.files.v2"
GALLERY_CLOSED = "This gallery has closed: its photos are no longer online."


@dataclass(frozen=True)
class FileToken:
    """What a token was made for: a pending upload's stored `name`, or the `kind` of
    file of the photo `photo_key`, given to the key `api_key_id` (None: no key)."""

    name: str | None = None
    photo_key: str | None = None
    kind: str | None = None
    api_key_id: int | None = None


def _dumps(payload: dict) -> str:
    return signing.dumps(payload, salt=SIGNING_SALT, compress=True)


def file_token(name: str) -> str:
    """The token of a pending upload's stored file."""
    return _dumps({"n": name})


def photo_file_token(photo, kind: str, *, api_key) -> str:
    return _dumps({"p": str(photo.key), "k": kind, "a": api_key.pk if api_key is not None else None})


def file_token_read(token: str) -> FileToken | None:
    """What a token was made for, or None if it is forged or expired."""
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=settings.API_SIGNED_URL_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("n"), str):
        return FileToken(name=payload["n"])
    if isinstance(payload.get("p"), str) and payload.get("k") in files.KINDS:
        return FileToken(photo_key=payload["p"], kind=payload["k"], api_key_id=payload.get("a"))
    return None


def _holder(api_key_id: int | None):
    """The user the token was given to, if their key is still valid: a revoked key's
    tokens are read as given to no key."""
    if api_key_id is None:
        return None
    api_key = ApiKey.objects.active().select_related("user").filter(pk=api_key_id).first()
    if api_key is None or not (api_key.user.is_active and api_key.user.is_staff):
        return None
    return api_key.user


def stored_file_name(token: FileToken) -> str:
    """The stored name to send for a token read from a fetch, by the policy as it is
    now; else ApiError (404, 410 or 403)."""
    if token.name is not None:
        # An upload attached or deleted since is gone with its row.
        if not PendingUpload.objects.filter(file=token.name).exists():
            raise ApiError(404, "not_found", "This file no longer exists.")
        return token.name
    photo = Photo.objects.select_related("gallery").filter(key=token.photo_key).first()
    if photo is None:
        raise ApiError(404, "not_found", "This file no longer exists.")
    user = _holder(token.api_key_id)
    gallery = photo.gallery
    if not access.can_manage_gallery(user, gallery):
        if gallery.is_published and photo.is_guest_visible and access.gallery_is_closed_to(user, gallery):
            raise ApiError(410, "gallery_closed", GALLERY_CLOSED)
        visible = access.galleries_visible_to(user).filter(pk=gallery.pk).exists()
        if not (visible and gallery.is_published and photo.is_guest_visible):
            raise ApiError(404, "not_found", "This file is no longer shown.")
        if not access.may_download(user, gallery, token.kind):
            raise ApiError(403, "forbidden", "This gallery's organizer no longer lets its originals be downloaded.")
    name = files.stored_name(photo, access.kind_served(user, photo, token.kind))
    if not name:
        raise ApiError(404, "not_found", "This file no longer exists.")
    return name


def _absolute(request, token: str) -> str:
    return request.build_absolute_uri(reverse("api:stored_file", args=[token]))


def stored_file_url(request, name: str) -> str:
    """The address of a pending upload's stored file."""
    if not files.storage_is_local():
        return default_storage.url(name)
    return _absolute(request, file_token(name))


def photo_urls(
    request, photo, *, listed: bool, api_key=None, original_allowed: bool = True, original_kind: str = "original"
) -> dict:
    """`original_allowed`: may the caller download the original (access.may_download);
    without it the original's URL is null. `original_kind`: the file the original's URL
    gives (access.kind_served: a guest gets a blurred photo's display image). `api_key`:
    the caller's key (None without one), whom the local tokens are given to."""
    urls = {}
    # "middle" is None for a photo processed before it existed, until it is made.
    for kind, key in (("thumb", "thumbnail"), ("middle", "middle"), ("display", "display"), ("original", "original")):
        asked = kind
        if kind == "original" and original_kind != "original":
            kind = original_kind
            if not original_allowed:
                urls[key] = None
                continue
        name = files.stored_name(photo, kind)
        if not name or (kind != "original" and not photo.is_ready) or (kind == "original" and not original_allowed):
            urls[key] = None
        elif not files.storage_is_local():
            urls[key] = default_storage.url(name)
        elif listed and photo.is_guest_visible:
            urls[key] = request.build_absolute_uri(files.photo_view_url(photo, kind))
        else:
            # The kind asked for: a fetch serves what the policy then allows of it.
            urls[key] = _absolute(request, photo_file_token(photo, asked, api_key=api_key))
    return urls
