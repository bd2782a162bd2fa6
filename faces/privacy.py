"""Find me's privacy: guests' requests to hide the photos they are in or blur their face,
and the deletion of face data (the privacy text and the consent receipts are in
faces/consent.py).

Invariants:
- A hide request names only photos and faces that the guest's own search matched: the
  photo ids and face ids come from the signed, expiring results token, never from what
  the form says beyond picking among them. A token that is forged, expired or of
  another gallery, or a photo not in it, stores nothing.
- A request keeps photo ids, the choice (hide or blur), times, status, whether it was
  applied at once, and an optional contact: never the selfie, never a face descriptor,
  never the device or the address.
- Only the person can hide themselves: results searched with a copy of a gallery photo
  (faces/copies.py; a boolean in the signed token) start no request. A guest's request
  applies at once only where the gallery says so and while the photos hidden at once in
  the last hour stay within HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR for the gallery,
  HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR for the device and
  HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR for the address (a visitor who drops their device
  cookie between requests is still one address); beyond, it waits for the
  organizer, who is sent an email (when the site sends email) for every request that waits.
- What guests see of a photo follows the applied requests: `Photo.hidden` and the
  derivatives' blurred faces are recomputed from them (photos_privacy_refresh) in the
  transaction that changes a request, and the gallery's `updated_at` moves with them.
  A photo whose faces must be rendered again is pending, seen by no guest, until the
  worker has made its new derivatives from the original; the old files are deleted
  only after the new ones are stored (galleries.services.processing.photo_process).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from faces.models import Face, FaceCollection, HideRequest, HideRequestPhoto, PhotoFaces
from faces.selectors import photo_privacy
from faces.services.results_token import (
    FindMeResults,
    FindMeResultsExpired,
    FindMeResultsInvalid,
    FoundPhoto,
    find_me_results_read,
)
from galleries.models import Gallery, Photo
from galleries.services.closing import gallery_close
from galleries.services.processing import photos_render_again
from galleries.task_paths import SEND_HIDE_REQUEST_WAITING_EMAIL, task_at
from galleries.task_priorities import HIDE_REQUEST_EMAIL
from ops import ratelimits

logger = logging.getLogger(__name__)


CONTACT_MAX_LENGTH = HideRequest._meta.get_field("contact").max_length
# What a guest is told when their results come from a copy of a gallery photo.
FROM_COPY_MESSAGE = gettext_lazy(
    "Your search was made with a copy of a photo from this gallery. It can find photos, but it cannot ask for "
    "them to be hidden: to ask, please take a selfie with your camera and search with it. Thank you!"
)
AT_ONCE_WINDOW = timedelta(hours=1)


class HideRequestRefused(Exception):
    """A hide request that was not stored; str(exc) is the message for the guest."""


class TooManyHideRequests(HideRequestRefused):
    def __init__(self, retry_after_s: int):
        super().__init__(_("You have sent several requests in a short time. Please wait a while and try again."))
        self.retry_after_s = retry_after_s


class HideFromCopyRefused(HideRequestRefused):
    """The results were searched with a copy of a gallery photo, not a selfie."""

    def __init__(self):
        super().__init__(FROM_COPY_MESSAGE)


class HideResultsInvalid(HideRequestRefused):
    """The results the request is made from are not valid (forged, changed, another
    gallery's) or have expired."""

    def __init__(self, message: str, *, expired: bool):
        super().__init__(message)
        self.expired = expired


def hide_request_allowed(*, device: str, address: str) -> ratelimits.Decision:
    """Counts a hide request by this device from this address: HIDE_REQUESTS_PER_WINDOW
    per device and HIDE_REQUESTS_PER_ADDRESS per address in HIDE_REQUEST_WINDOW_S."""
    window = settings.HIDE_REQUEST_WINDOW_S
    return ratelimits.limits_hit(
        ratelimits.Limit("hide-request-device", device, settings.HIDE_REQUESTS_PER_WINDOW, window),
        ratelimits.Limit("hide-request-address", address, settings.HIDE_REQUESTS_PER_ADDRESS, window),
    )


def hide_request_create(
    *,
    gallery: Gallery,
    token: str,
    photo_keys: Iterable[str],
    hide_all: bool,
    contact: str,
    device: str,
    address: str,
) -> HideRequest:
    """A guest's request to hide (or blur their face in) photos of their Find me results:
    all of them with `hide_all`, else those of `photo_keys`. Applied at once where the
    gallery says so and within the budgets of photos hidden at once (per gallery, per
    device), else left for the organizer's approval, who is told by email; its action is
    the gallery's default. Raises HideRequestRefused (TooManyHideRequests,
    HideResultsInvalid, HideFromCopyRefused, or a plain one for a choice that is empty,
    names photos not in the results, or a contact too long), storing nothing. Every
    request counts towards the rate limits, refused ones too (the count is not rolled
    back with them)."""
    limit = hide_request_allowed(device=device, address=address)
    if not limit.allowed:
        raise TooManyHideRequests(limit.retry_after_s)
    results = _results_to_hide_from(gallery=gallery, token=token)
    chosen = _chosen_to_hide(results=results, photo_keys=photo_keys, hide_all=hide_all)
    contact = (contact or "").strip()
    if len(contact) > CONTACT_MAX_LENGTH:
        raise HideRequestRefused(
            ngettext(
                "The contact may have at most %(count)s character.",
                "The contact may have at most %(count)s characters.",
                CONTACT_MAX_LENGTH,
            )
            % {"count": CONTACT_MAX_LENGTH}
        )

    # The face each photo was matched by, as the signed results name it, if the face
    # index still has it in that photo.
    face_ids = {found.face_id for found in chosen if found.face_id}
    faces = dict(
        Face.objects.filter(pk__in=face_ids, gallery=gallery).values_list("pk", "photo_id") if face_ids else []
    )
    with transaction.atomic():
        at_once = gallery.hide_requests_apply == Gallery.HideRequests.AT_ONCE and _at_once_budget_take(
            gallery=gallery, photos=len(chosen), device=device, address=address
        )
        hide_request = HideRequest.objects.create(
            gallery=gallery,
            action=gallery.hide_action,
            status=HideRequest.Status.PENDING,
            contact=contact,
            applied_at_once=at_once,
        )
        HideRequestPhoto.objects.bulk_create(
            HideRequestPhoto(
                hide_request=hide_request,
                photo=found.photo,
                face_id=found.face_id if faces.get(found.face_id) == found.photo.pk else None,
            )
            for found in chosen
        )
        if at_once:
            hide_request_apply(hide_request=hide_request)
        else:
            transaction.on_commit(partial(_enqueue_waiting_email, hide_request_id=hide_request.pk))
    return hide_request


def _results_to_hide_from(*, gallery: Gallery, token: str) -> FindMeResults:
    """The Find me results a hide request chooses from: HideResultsInvalid for a token
    that expired, is not of this gallery or was not made here; HideFromCopyRefused for
    results searched with a copy of a gallery photo (only the person can hide themselves)."""
    try:
        results = find_me_results_read(gallery=gallery, token=token)
    except FindMeResultsExpired as exc:
        raise HideResultsInvalid(
            _("These results have expired. Search again with a selfie, then choose the photos to hide."), expired=True
        ) from exc
    except FindMeResultsInvalid as exc:
        raise HideResultsInvalid(
            _("These results are not valid here. Search again with a selfie, then choose the photos to hide."),
            expired=False,
        ) from exc
    if results.from_copy:
        raise HideFromCopyRefused()
    return results


def _chosen_to_hide(*, results: FindMeResults, photo_keys: Iterable[str], hide_all: bool) -> list[FoundPhoto]:
    """The photos of the results the guest chose (all of them with `hide_all`); a plain
    HideRequestRefused for an empty choice or one that names photos not in the results."""
    by_key = {str(found.photo.key): found for found in results.found}
    if hide_all:
        chosen = list(results.found)
    else:
        keys = {str(key).strip().lower() for key in photo_keys if str(key).strip()}
        if not keys:
            raise HideRequestRefused(_("Choose at least one photo to hide."))
        if not keys <= by_key.keys():
            raise HideRequestRefused(
                _(
                    "Some of the photos chosen are not among your results (or were hidden meanwhile). "
                    "Reload the results and choose again."
                )
            )
        chosen = [by_key[key] for key in keys]
    if not chosen:
        raise HideRequestRefused(_("There are no photos to hide in these results."))
    return chosen


def hide_at_once_photos() -> int:
    """How many photos one guest may hide at once in an hour, where requests apply at once."""
    return min(settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR, settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR)


def hide_request_waits_for_budget(hide_request: HideRequest) -> bool:
    """A request that waits for the organizer though its gallery applies them at once:
    it went past a budget of photos hidden at once."""
    return (
        hide_request.status == HideRequest.Status.PENDING
        and hide_request.gallery.hide_requests_apply == Gallery.HideRequests.AT_ONCE
    )


def _at_once_budget_take(*, gallery: Gallery, photos: int, device: str, address: str) -> bool:
    """Whether `photos` more may be hidden at once in the gallery, for this device and
    address; if so, they are counted against the device's and the address's budgets. Call inside the transaction that
    stores the request: the gallery's row is locked until it commits, so that two
    requests at once cannot both take the last of its budget (on PostgreSQL; SQLite
    writes one transaction at a time)."""
    Gallery.objects.select_for_update().filter(pk=gallery.pk).values_list("pk", flat=True).first()
    since = timezone.now() - AT_ONCE_WINDOW
    hidden_at_once = HideRequestPhoto.objects.filter(
        hide_request__gallery=gallery, hide_request__applied_at_once=True, hide_request__created_at__gte=since
    ).count()
    if hidden_at_once + photos > settings.HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR:
        return False
    if photos > hide_at_once_photos():
        return False
    # The device's and the address's budgets are counted where the rate limits count (no
    # device or address is stored with a request): one hit a photo, all handed back if
    # one is refused.
    window_s = int(AT_ONCE_WINDOW.total_seconds())
    limits = (
        ratelimits.Limit("hide-at-once-device", device, settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR, window_s),
        ratelimits.Limit("hide-at-once-address", address, settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR, window_s),
    )
    taken = []
    for _photo in range(photos):
        decision = ratelimits.limits_hit(*limits)
        if not decision.allowed:
            for counted in taken:
                counted.refund()
            return False
        taken.append(decision)
    return True


def _enqueue_waiting_email(*, hide_request_id: int) -> None:
    """Runs once the request is stored: a failure to queue the email is logged, and the
    guest's request stands."""
    if not settings.EMAIL_ENABLED:
        return
    send_hide_request_waiting_email = task_at(SEND_HIDE_REQUEST_WAITING_EMAIL)

    try:
        send_hide_request_waiting_email.using(priority=HIDE_REQUEST_EMAIL).enqueue(hide_request_id=hide_request_id)
    except Exception:
        logger.exception("Could not queue the email about hide request %s", hide_request_id)


def hide_request_waiting_email(*, hide_request_id: int) -> bool:
    """Tells the gallery's owner that a request waits for their approval: the gallery's
    name and the address of its waiting requests in the admin, nothing about the guest.
    Returns whether an email was sent; a failure to send is logged, never raised."""
    hide_request = HideRequest.objects.select_related("gallery__owner").filter(pk=hide_request_id).first()
    if hide_request is None or hide_request.status != HideRequest.Status.PENDING or not settings.EMAIL_ENABLED:
        return False
    gallery = hide_request.gallery
    owner_email = gallery.owner.email if gallery.owner_id is not None else ""
    if not owner_email:
        return False
    count = hide_request.entries.count()
    query = urlencode({"gallery__id__exact": gallery.pk, "status__exact": HideRequest.Status.PENDING})
    url = f"{settings.PUBLIC_BASE_URL}{reverse('admin:faces_hiderequest_changelist')}?{query}"
    photos = f"{count} photo{'s' if count != 1 else ''}"
    why = (
        "More photos were asked to be hidden in the last hour than are hidden at once, so this one waits for you."
        if hide_request_waits_for_budget(hide_request)
        else "The gallery's hide requests wait for your approval."
    )
    try:
        send_mail(
            subject=f"A hide request waits for you in {gallery.name}",
            message=(
                f"A guest of {gallery.name} asked for {photos} to be hidden. {why}\n\n"
                f"Approve (hide or blur) or reject it here:\n{url}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[owner_email],
        )
    except Exception:
        logger.exception("Could not send the email about hide request %s", hide_request_id)
        return False
    return True


@transaction.atomic
def hide_request_apply(*, hide_request: HideRequest, action: str | None = None) -> HideRequest:
    """Applies the request (approved, or changed from hiding to blurring or back): its
    photos leave the guests' pages, or are rendered again with the face blurred."""
    if action is not None and action not in Gallery.HideAction.values:
        raise ValueError(f"Not an action of a hide request: {action!r}")
    hide_request.action = action or hide_request.action
    hide_request.status = HideRequest.Status.APPLIED
    hide_request.decided_at = timezone.now()
    hide_request.save(update_fields=["action", "status", "decided_at"])
    photos_privacy_refresh(photo_ids=_photo_ids(hide_request))
    return hide_request


@transaction.atomic
def hide_request_undo(*, hide_request: HideRequest, reject: bool = False) -> HideRequest:
    """Withdraws the request (undone once applied, rejected while waiting): its photos
    are shown to guests again as they were, unless another applied request hides them."""
    hide_request.status = HideRequest.Status.REJECTED if reject else HideRequest.Status.UNDONE
    hide_request.decided_at = timezone.now()
    hide_request.save(update_fields=["status", "decided_at"])
    photos_privacy_refresh(photo_ids=_photo_ids(hide_request))
    return hide_request


@transaction.atomic
def hide_request_delete(*, hide_request: HideRequest) -> None:
    """Deletes the request (and the contact it holds); its photos are shown again as
    hide_request_undo would."""
    photo_ids = _photo_ids(hide_request)
    hide_request.delete()
    photos_privacy_refresh(photo_ids=photo_ids)


def _photo_ids(hide_request: HideRequest) -> list[int]:
    return list(hide_request.entries.values_list("photo_id", flat=True))


def photos_privacy_refresh(*, photo_ids: Iterable[int]) -> None:
    """Brings what guests see of these photos in line with their applied requests:
    `hidden` set or cleared, and the photos whose blurred faces change rendered again
    (pending until then). Moves the galleries' `updated_at`."""
    render_again, gallery_ids = [], set()
    for photo in Photo.objects.filter(pk__in=list(photo_ids)).only("pk", "gallery_id", "hidden", "faces_blurred"):
        privacy = photo_privacy(photo_id=photo.pk)
        if privacy.hidden != photo.hidden:
            Photo.objects.filter(pk=photo.pk).update(hidden=privacy.hidden)
            gallery_ids.add(photo.gallery_id)
        # Rendered again whenever faces are to be blurred, or were and may no longer be.
        if privacy.blur_boxes or photo.faces_blurred:
            render_again.append(photo.pk)
    Gallery.objects.filter(pk__in=gallery_ids).touch()
    if render_again:
        photos_render_again(photo_ids=render_again)


def galleries_with_face_data() -> QuerySet[Gallery]:
    """Galleries with Find me on or face data of any kind."""
    return Gallery.objects.filter(
        Q(face_search_enabled=True)
        | Q(pk__in=FaceCollection.objects.values("gallery_id"))
        | Q(pk__in=PhotoFaces.objects.values("gallery_id"))
        | Q(pk__in=Face.objects.values("gallery_id"))
    )


def galleries_to_purge(*, slug: str | None = None, older_than_days: int | None = None, now=None) -> list[Gallery]:
    """The galleries whose face data purge_face_data deletes: the one of `slug`, and/or
    those whose face data began more than `older_than_days` days ago (their first face
    indexed then)."""
    galleries = galleries_with_face_data()
    if slug is not None:
        galleries = galleries.filter(slug=slug)
    if older_than_days is not None:
        cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
        galleries = galleries.filter(
            Q(face_collection__created_at__lt=cutoff)
            | Q(pk__in=Face.objects.filter(created_at__lt=cutoff).values("gallery_id"))
            | Q(pk__in=PhotoFaces.objects.filter(indexed_at__lt=cutoff).values("gallery_id"))
        )
    return list(galleries.distinct().order_by("pk"))


def gallery_face_data_purge(*, gallery: Gallery) -> str | None:
    """Switches Find me off for the gallery and deletes all its face data, as closing
    does (galleries.services.closing.gallery_close): the rows now, the engine's collection
    (Rekognition) through the engine once this commits. Returns that collection, if the
    engine keeps one. Photos whose faces were blurred stay blurred; should they be
    rendered again, they are hidden instead (there is no face left to blur)."""
    collection = FaceCollection.objects.filter(gallery=gallery).values_list("external_id", flat=True).first()
    gallery_close(gallery=gallery)
    return collection or None
