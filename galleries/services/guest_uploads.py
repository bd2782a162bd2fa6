"""Guests' uploads: which guest may add a photo, and what the organizer does with it.

Which photos guests see is models.guest_visible_q, and nothing else. Uploads are limited
per device, per address and per gallery (ops/ratelimits.py). A file that was refused for
itself counts (a stream of junk is still a stream); one that was already there (a retry
after a lost answer) or that the storage could not take does not.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from galleries.face_data import photo_faces_queue
from galleries.models import Gallery, Photo
from galleries.services.photos import DuplicatePhoto, PhotoUploadError, StorageUnavailable, photo_create, photos_delete
from ops import ratelimits

# --- Guests' uploads --------------------------------------------------------------------
# A gallery whose organizer lets guests add photos (Gallery.guest_uploads) takes them one
# file at a time from its upload page. Each goes through photo_create like an organizer's
# (the same checks, nothing left behind, processed at once so that the organizer's queue
# has previews) and is held back from guests as the gallery's mode says: shown once
# processed (open), waiting for approval, or in the drop box for the organizer only.
# Which photos guests see is models.guest_visible_q, and nothing else.
#
# Uploads are limited per device, per address and per gallery (ops/ratelimits.py). A
# file that was refused for itself counts (a stream of junk is still a stream); one
# that was already there (a retry after a lost answer) or that the storage could not
# take does not.

GUEST_REVIEW_FOR_MODE = {
    Gallery.GuestUploads.OPEN: Photo.Review.SHOWN,
    Gallery.GuestUploads.APPROVAL: Photo.Review.PENDING,
    Gallery.GuestUploads.DROP_BOX: Photo.Review.DROP_BOX,
}
GUEST_NAME_MAX_LENGTH = Photo._meta.get_field("guest_name").max_length


class GuestUploadRefused(PhotoUploadError):
    """The gallery does not take this guest's upload now (off, or over a limit)."""

    def __init__(self, message: str, *, retry_after_s: int = 0):
        self.retry_after_s = retry_after_s
        super().__init__(message)


def guest_upload_limits_hit(*, gallery: Gallery, device: str, address: str) -> ratelimits.Decision:
    """Counts one file against the guest upload limits of the device, the address and
    the gallery within GUEST_UPLOAD_WINDOW_S."""
    window = settings.GUEST_UPLOAD_WINDOW_S
    return ratelimits.limits_hit(
        ratelimits.Limit("guest-upload-device", device, settings.GUEST_UPLOADS_PER_DEVICE, window),
        ratelimits.Limit("guest-upload-address", address, settings.GUEST_UPLOADS_PER_ADDRESS, window),
        ratelimits.Limit("guest-upload-gallery", str(gallery.pk), settings.GUEST_UPLOADS_PER_GALLERY, window),
    )


_LIMIT_MESSAGES = {
    "guest-upload-device": _lazy("You have sent many photos in a short time."),
    "guest-upload-address": _lazy("Many photos were sent from your network in a short time."),
    "guest-upload-gallery": _lazy("This gallery has received many photos in a short time."),
}


def guest_photo_upload(
    *, gallery: Gallery, upload: File, filename: str, guest_name: str, device: str, address: str
) -> Photo:
    """One guest's file made a photo of the gallery, held back as its mode says.

    Raises GuestUploadRefused when the gallery takes no guests' photos or a limit is
    reached, DuplicatePhoto when the gallery has the file already (a retry), and the
    other PhotoUploadErrors of photo_create; leaves nothing behind. The caller has let
    the guest into the gallery (galleries/access.py)."""
    review = GUEST_REVIEW_FOR_MODE.get(gallery.guest_uploads)
    if review is None:
        raise GuestUploadRefused(_("This gallery does not take guests' photos."))
    decision = guest_upload_limits_hit(gallery=gallery, device=device, address=address)
    if not decision.allowed:
        minutes = max(1, round(decision.retry_after_s / 60))
        raise GuestUploadRefused(
            " ".join(
                [
                    str(_LIMIT_MESSAGES.get(decision.refused_by, "")),
                    ngettext(
                        "Please try again in about %(minutes)d minute.",
                        "Please try again in about %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                ]
            ).strip(),
            retry_after_s=decision.retry_after_s,
        )
    try:
        return photo_create(
            gallery=gallery,
            upload=upload,
            filename=filename,
            review=review,
            guest_name=" ".join(guest_name.split())[:GUEST_NAME_MAX_LENGTH],
        )
    except (DuplicatePhoto, StorageUnavailable):
        decision.refund()
        raise


def guest_upload_message(*, gallery: Gallery) -> str:
    """What a guest is told once a photo of theirs is in."""
    return {
        Gallery.GuestUploads.OPEN: _("Uploaded: it appears in the gallery in a moment."),
        Gallery.GuestUploads.APPROVAL: _("Uploaded: it appears in the gallery once the organizer approves it."),
        Gallery.GuestUploads.DROP_BOX: _("Sent to the organizer."),
    }.get(gallery.guest_uploads, _("Uploaded."))


@transaction.atomic
def guest_photos_approve(*, photos: Iterable[Photo]) -> int:
    """Shows the guests' photos among `photos` that were held back (waiting, or in the
    drop box); returns how many. Their faces are indexed once they are shown."""
    ids = [photo.pk for photo in photos]
    held_back = Photo.objects.filter(pk__in=ids, uploaded_by_guest=True).exclude(review=Photo.Review.SHOWN)
    approved = list(held_back.only("pk", "gallery_id", "status"))
    Photo.objects.filter(pk__in=[photo.pk for photo in approved]).update(review=Photo.Review.SHOWN)
    for photo in approved:
        photo.review = Photo.Review.SHOWN
        photo_faces_queue(photo=photo)
    Gallery.objects.filter(pk__in={photo.gallery_id for photo in approved}).touch()
    return len(approved)


def guest_photos_reject(*, photos: Iterable[Photo]) -> int:
    """Deletes the guests' photos among `photos` that were never shown (waiting, or in
    the drop box), their files once this commits; returns how many."""
    ids = [photo.pk for photo in photos]
    return photos_delete(
        photos=Photo.objects.filter(pk__in=ids, uploaded_by_guest=True).exclude(review=Photo.Review.SHOWN)
    )
