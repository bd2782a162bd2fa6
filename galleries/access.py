"""Who may see, change and delete a gallery and what belongs to it: the one access
policy, asked by every guest page, the file view, Find me (page and API), the JSON API
and the admin.

- The owner of a gallery and superusers manage it: they see it whatever its state,
  change it, delete it, and see and change its photos, face data and uploads.
- Everyone else is a guest there, staff users who own other galleries included:
  a published public gallery is listed on the home page and open to all; a published
  unlisted one is open to whoever has its link; a published private one is open once
  its access code was given in this session. Drafts exist only for those who manage
  them: to a guest they are not found, never forbidden.
- A guest sees the photos of an open gallery that guests may see (Photo.objects.guest_visible,
  the one rule every guest page, download and the API use: ready, not a guest's upload held
  back for approval or in the drop box, not hidden by a guest's hide request), and nothing
  else of it, and downloads what the gallery's download policy allows: the originals, the
  display images, or nothing (looking at the display images is not downloading). A photo
  whose faces were blurred on a guest's request never gives a guest its original: its
  downloads are the blurred display image. Those who manage a gallery always download its
  originals, and see every photo in the admin; the guest pages show them what guests see.
- A gallery past its closing time (`closes_at`) has closed to guests: every guest page,
  file and download of it, and the API, say so (410 Gone) instead; it is no longer
  listed. Those who manage it still see everything. Drafts stay not found.
- API keys and pending uploads belong to one organizer; superusers see all of them.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.crypto import constant_time_compare, salted_hmac

from galleries.models import LISTED, Gallery, Photo
from ops import ratelimits


def _is_superuser(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def _is_organizer(user) -> bool:
    """Someone who may manage galleries at all: an active staff user."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


# --- Managing -----------------------------------------------------------------------


def galleries_managed_by(user, queryset: QuerySet[Gallery] | None = None) -> QuerySet[Gallery]:
    """The galleries (of `queryset`, else all) that the user may change and delete:
    their own, every one for a superuser."""
    return owned_by(Gallery.objects.all() if queryset is None else queryset, user, owner_field="owner")


def can_manage_gallery(user, gallery: Gallery) -> bool:
    if _is_superuser(user):
        return True
    return _is_organizer(user) and gallery.owner_id is not None and gallery.owner_id == user.pk


def photos_managed_by(user, queryset: QuerySet[Photo] | None = None) -> QuerySet[Photo]:
    """The photos (of `queryset`, else all) in galleries the user manages."""
    return of_managed_galleries(Photo.objects.all() if queryset is None else queryset, user)


def of_managed_galleries(queryset: QuerySet, user, *, gallery_field: str = "gallery") -> QuerySet:
    """The rows of `queryset` that belong to a gallery the user manages (photos, face data)."""
    if _is_superuser(user):
        return queryset
    if not _is_organizer(user):
        return queryset.none()
    return queryset.filter(**{f"{gallery_field}__owner": user})


def owned_by(queryset: QuerySet, user, *, owner_field: str) -> QuerySet:
    """The rows of `queryset` that are the user's own (galleries, API keys, pending
    uploads): all of them for a superuser, none for anyone who is not an organizer."""
    if _is_superuser(user):
        return queryset
    if not _is_organizer(user):
        return queryset.none()
    return queryset.filter(**{owner_field: user})


# --- Seeing, as a guest or as the gallery's manager -------------------------------------


def galleries_listed() -> QuerySet[Gallery]:
    """The galleries anyone may find on the home page: published, public and not closed."""
    return Gallery.objects.listed().not_closed()


def galleries_visible_to(user) -> QuerySet[Gallery]:
    """The galleries the JSON API shows a caller by id: the listed ones, and those the
    caller manages. An unlisted or private gallery is reached through its link only."""
    if _is_superuser(user):
        return Gallery.objects.all()
    if not _is_organizer(user):
        # Closed ones too: asked by id, they answer that they have closed.
        return Gallery.objects.listed()
    return Gallery.objects.filter(LISTED | Q(owner=user))


@dataclass(frozen=True)
class Viewer:
    """Who asks for a gallery: a user (an API key's organizer; None or anonymous for
    anyone else) and the session that holds the access codes they gave (None through
    the API, which takes no codes). Has what the helpers below read of a request."""

    user: object
    session: object = None

    @classmethod
    def of(cls, request) -> "Viewer":
        return cls(user=request.user, session=request.session)


class GuestRefusal(Exception):
    """Why a visitor may not have a gallery's guest pages; each transport answers it its
    own way (galleries/guest_pages.py, api/routes/common.py, the slideshow's JSON)."""

    def __init__(self, gallery: Gallery | None = None):
        super().__init__(type(self).__name__)
        self.gallery = gallery


class GalleryNotFound(GuestRefusal):
    """No such gallery for this visitor: a draft they do not manage is not found, never
    forbidden; so is, asked by id, a gallery that is not listed."""


class GalleryClosed(GuestRefusal):
    """The gallery has closed to this visitor (410): its closing time has passed and
    they do not manage it."""


class AccessCodeNeeded(GuestRefusal):
    """A private gallery whose access code is not in this visitor's session."""


def guest_gallery(*, viewer: Viewer, slug: str | None = None, gallery_id: int | None = None) -> Gallery:
    """The one guest gate: the gallery at /g/<slug>/ (or, for the API, of this id) if
    this viewer may have its guest pages, else a GuestRefusal, asked in this order:
    known (GalleryNotFound), not closed (GalleryClosed), open (AccessCodeNeeded).

    By slug, every published gallery is known; by id, only the listed ones (ids count
    up: an unlisted or private gallery is reached through its link only). Those who
    manage a gallery always have it."""
    if (slug is None) == (gallery_id is None):
        raise TypeError("guest_gallery takes a slug or a gallery_id")
    if slug is not None:
        gallery = Gallery.objects.by_slug(slug)
        if gallery is not None and not gallery.is_published and not can_manage_gallery(viewer.user, gallery):
            gallery = None
    else:
        gallery = galleries_visible_to(viewer.user).filter(pk=gallery_id).first()
    if gallery is None:
        raise GalleryNotFound()
    if gallery_is_closed_to(viewer, gallery):
        raise GalleryClosed(gallery)
    if not gallery_is_open(viewer, gallery):
        raise AccessCodeNeeded(gallery)
    return gallery


def guest_photo(*, viewer: Viewer, key) -> Photo:
    """The photo of this key, with its gallery, if this viewer may see its files: any
    photo of a gallery they manage (the admin shows those in progress and the guests'
    uploads waiting for approval), else a photo shown to guests (models.guest_visible_q)
    of a published gallery that is open to them. Refusals as guest_gallery's: a photo
    that is not shown to guests, or of a draft, is not found."""
    photo = Photo.objects.select_related("gallery").filter(key=key).first()
    if photo is None:
        raise GalleryNotFound()
    gallery = photo.gallery
    if can_manage_gallery(viewer.user, gallery):
        return photo
    if not (gallery.is_published and photo.is_guest_visible):
        raise GalleryNotFound()
    if gallery.is_closed():
        raise GalleryClosed(gallery)
    if not gallery_is_open(viewer, gallery):
        raise AccessCodeNeeded(gallery)
    return photo


def gallery_for_visitor(request, slug: str) -> Gallery:
    """The gallery at /g/<slug>/ if this visitor may know it exists, else Http404:
    drafts are for those who manage them."""
    gallery = Gallery.objects.by_slug(slug)
    if gallery is None or (not gallery.is_published and not can_manage_gallery(request.user, gallery)):
        raise Http404
    return gallery


def gallery_is_open(request, gallery: Gallery) -> bool:
    """May this visitor (a request or a Viewer) see the photos of a gallery they may
    know of: a public or unlisted one, a private one after its code, any gallery they
    manage."""
    if not gallery.is_private or can_manage_gallery(request.user, gallery):
        return True
    return request.session is not None and gallery_is_unlocked(gallery=gallery, session=request.session)


def gallery_is_closed_to(request_or_user, gallery: Gallery) -> bool:
    """Has the gallery closed for this visitor (a request, or the user of an API key,
    None without one): its closing time has passed and they do not manage it."""
    user = getattr(request_or_user, "user", request_or_user)
    return gallery.is_closed() and not can_manage_gallery(user, gallery)


def photo_is_visible(request, photo: Photo) -> bool:
    """May this visitor see the photo's files: a photo shown to guests (ready, not held
    back: models.guest_visible_q) of a published gallery open to them and not closed,
    or any photo of a gallery they manage (the admin shows those in progress and the
    guests' uploads waiting for approval)."""
    gallery = photo.gallery
    if can_manage_gallery(request.user, gallery):
        return True
    return (
        gallery.is_published
        and photo.is_guest_visible
        and not gallery.is_closed()
        and gallery_is_open(request, gallery)
    )


def photo_is_closed_to(request, photo: Photo) -> bool:
    """Would this visitor see the photo's files but for its gallery having closed: they
    are told so (410) rather than "not found". Drafts and unready photos stay not found."""
    gallery = photo.gallery
    return gallery.is_published and photo.is_guest_visible and gallery_is_closed_to(request, gallery)


def photos_visible_to(request, gallery: Gallery) -> QuerySet[Photo]:
    """The photos this visitor sees in a gallery that gallery_for_visitor and
    gallery_is_open let them into: those shown to guests (of a draft too, for those who
    manage it; guests' uploads held back are for the admin only)."""
    if not gallery.is_published and not can_manage_gallery(request.user, gallery):
        return gallery.photos.none()
    return gallery.photos.guest_visible()


def download_kind(user, gallery: Gallery) -> str | None:
    """The kind of file ("original", "display") that `user` may download from a gallery
    they may see, or None when downloads are off for them."""
    if can_manage_gallery(user, gallery):
        return "original"
    return {Gallery.Downloads.ORIGINALS: "original", Gallery.Downloads.DISPLAY: "display"}.get(gallery.downloads)


def kind_served(user, photo: Photo, kind: str, *, gallery: Gallery | None = None) -> str:
    """The kind of file actually sent for a request of `kind`: a guest asking for the
    original of a photo whose faces were blurred gets its (blurred) display image.
    `gallery`: the photo's, when the caller has it loaded already."""
    if kind == "original" and photo.faces_blurred and not can_manage_gallery(user, gallery or photo.gallery):
        return "display"
    return kind


def may_download(user, gallery: Gallery, kind: str) -> bool:
    """May `user` download the file of this kind (a photo they may see): a thumbnail or
    display image is what they look at anyway; an original only when the policy allows."""
    return kind != "original" or download_kind(user, gallery) == "original"


# --- Access codes -------------------------------------------------------------------
# A code is compared without regard to case or surrounding spaces. Tries are limited per
# device and per address, counted before the code is checked; a right code is then
# handed back, so a wedding's guests typing it never use up a limit. Wrong codes are
# also limited per gallery, counted once the code is known to be wrong: a guess spread
# over many devices and addresses is slowed down, while the right code still gets in
# from any device or address that is not over its own limit (the gallery's limit must
# not let a stranger lock every guest out). Against a guess spread wide, the code's own
# length holds: 31^8 codes (below), at most ACCESS_CODE_TRIES_PER_ADDRESS per address.

SESSION_ACCESS_KEY = "gallery_access"
# Lowercase letters and digits without look-alikes (0 o, 1 l i): 31^8, about 10^12 codes.
ACCESS_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ACCESS_CODE_LENGTH = 8


def access_code_generate() -> str:
    """A random code that is easy to read out and type on a phone."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


@dataclass(frozen=True)
class AccessCodeTry:
    """What came of a try: the gallery unlocked, or refused for a limit (retry_after_s
    above 0), or else the code was wrong."""

    unlocked: bool
    retry_after_s: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after_s > 0


def access_code_try(*, gallery: Gallery, session, code: str, device: str, address: str) -> AccessCodeTry:
    """Tries `code` for this session: counted per device and per address first (over
    either limit, refused before the code is checked, and counted nowhere); a right
    code unlocks and is handed back; a wrong one stays counted there and is counted
    per gallery too, refused when the gallery has had too many wrong codes in
    ACCESS_CODE_WINDOW_S. That refusal keeps the device's and the address's hits: the
    code was checked, and a refusal says it was wrong as plainly as a 403 does."""
    window = settings.ACCESS_CODE_WINDOW_S
    decision = ratelimits.limits_hit(
        ratelimits.Limit("access-code-device", device, settings.ACCESS_CODE_TRIES_PER_DEVICE, window),
        ratelimits.Limit("access-code-address", address, settings.ACCESS_CODE_TRIES_PER_ADDRESS, window),
    )
    if not decision.allowed:
        return AccessCodeTry(unlocked=False, retry_after_s=decision.retry_after_s)
    if gallery_unlock(gallery=gallery, session=session, code=code):
        decision.refund()  # a right code is not a guess
        return AccessCodeTry(unlocked=True)
    per_gallery = ratelimits.limits_hit(
        ratelimits.Limit("access-code-gallery", str(gallery.pk), settings.ACCESS_CODE_TRIES_PER_GALLERY, window)
    )
    return AccessCodeTry(unlocked=False, retry_after_s=per_gallery.retry_after_s)


def _access_token(gallery: Gallery) -> str:
    # Tied to the current code: changing a gallery's code locks out earlier guests.
    return salted_hmac("galleries.access", f"{gallery.pk}:{gallery.access_code}").hexdigest()[:32]


def gallery_is_unlocked(*, gallery: Gallery, session) -> bool:
    if not gallery.is_private:
        return True
    token = session.get(SESSION_ACCESS_KEY, {}).get(str(gallery.pk))
    return token is not None and constant_time_compare(token, _access_token(gallery))


def gallery_unlock(*, gallery: Gallery, session, code: str) -> bool:
    """Remembers the gallery as open for this session if the code is right."""
    if not gallery.is_private:
        return True
    if not constant_time_compare(code.strip().casefold(), gallery.access_code.strip().casefold()):
        return False
    tokens = session.get(SESSION_ACCESS_KEY, {})
    tokens[str(gallery.pk)] = _access_token(gallery)
    session[SESSION_ACCESS_KEY] = tokens
    return True
