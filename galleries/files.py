"""Addresses of photo files.

On S3 a page links signed, expiring URLs straight to the bucket. On local storage
every file goes through `photo_file`, which checks the visitor's access first:
no photo of a private gallery is ever reachable at a guessable public address.
"""

from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header

KINDS = ("thumb", "display", "original")


def storage_is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def stored_name(photo, kind: str) -> str:
    return {"thumb": photo.thumbnail, "display": photo.display, "original": photo.original}[kind].name


def photo_view_url(photo, kind: str, *, download: bool = False) -> str:
    url = reverse("galleries:photo_file", args=[photo.key, kind])
    return f"{url}?download=1" if download else url


def photo_url(photo, kind: str) -> str:
    """The address a page uses to show a photo file."""
    if storage_is_local():
        return photo_view_url(photo, kind)
    return default_storage.url(stored_name(photo, kind))


def signed_url(photo, kind: str, *, download: bool = False) -> str:
    parameters = {}
    if download:
        parameters["ResponseContentDisposition"] = content_disposition_header(
            as_attachment=True, filename=photo.original_filename
        )
    return default_storage.url(stored_name(photo, kind), parameters=parameters or None)
