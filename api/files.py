"""Addresses of stored files in the API's answers: always absolute, and never a
guessable public address for anything that is not in a listed gallery.

On S3 they are the bucket's signed URLs. On local storage, photos of listed galleries
go through galleries' access-checked view; everything else (photos of private, unlisted
or draft galleries, pending uploads) through /api/files/<token>, a URL signed here that
expires like S3's.
"""

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from galleries import files

SIGNING_SALT = "api.files"


def file_token(name: str) -> str:
    return signing.dumps(name, salt=SIGNING_SALT, compress=True)


def file_name(token: str) -> str | None:
    """The stored name a token was made for, or None if it is forged or expired."""
    try:
        return signing.loads(token, salt=SIGNING_SALT, max_age=settings.API_SIGNED_URL_SECONDS)
    except signing.BadSignature:
        return None


def stored_file_url(request, name: str) -> str:
    if not files.storage_is_local():
        return default_storage.url(name)
    return request.build_absolute_uri(reverse("api:stored_file", args=[file_token(name)]))


def photo_urls(request, photo, *, listed: bool, original_allowed: bool = True, original_kind: str = "original") -> dict:
    """`original_allowed`: may the caller download the original (access.may_download);
    without it the original's URL is null. `original_kind`: the file the original's URL
    gives (access.kind_served: a guest gets a blurred photo's display image)."""
    urls = {}
    # "middle" is None for a photo processed before it existed, until it is made.
    for kind, key in (("thumb", "thumbnail"), ("middle", "middle"), ("display", "display"), ("original", "original")):
        if kind == "original" and original_kind != "original":
            kind = original_kind
            if not original_allowed:
                urls[key] = None
                continue
        name = files.stored_name(photo, kind)
        if not name or (kind != "original" and not photo.is_ready) or (kind == "original" and not original_allowed):
            urls[key] = None
        elif files.storage_is_local() and listed and photo.is_guest_visible:
            urls[key] = request.build_absolute_uri(files.photo_view_url(photo, kind))
        else:
            urls[key] = stored_file_url(request, name)
    return urls
