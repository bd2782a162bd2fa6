"""The order in which workers take tasks: the work a guest feels first.

django-tasks-db hands a worker the ready task of highest priority, then the oldest
(DBTaskResult's ordering: priority, run_after, enqueued_at), so the order is set when a
task is queued, with the task framework's own priorities, on the same queue. Highest first:

- GUEST_WAITING: a guest's own upload (its sizes: the guest waits to see it, the
  organizer to approve it, the slideshow to show it).
- PHOTO_SIZES: the sizes of an organizer's photos, which make the grid's tiles; and
  photos drawn again after a hide request (hidden from guests until then).
- FACE_INDEXING: Find me's indexing of a photo.
- UPKEEP: watermark redraws, deleting face data held by the outside engine.

Within PHOTO_SIZES and FACE_INDEXING galleries share fairly: a photo's priority is its
band's top less one step for every FAIR_SHARE_PHOTOS of its gallery already waiting at
that stage (down to the band's floor). A gallery with 2,000 photos waiting has its
first ones at the top and the rest lower, so another gallery's first photo goes before
almost all of them: it waits seconds, not the whole backlog. One COUNT on an index per
photo queued, or one query for a whole batch (faces.services.indexing).
"""

from __future__ import annotations

from galleries.models import Photo

GUEST_WAITING = 90
HIDE_REQUEST_EMAIL = 70
PHOTO_SIZES = 60
FACE_INDEXING = 20
UPKEEP = -50
# The steps each fair-shared band spans, and the photos waiting per step.
BAND_STEPS = 19
FAIR_SHARE_PHOTOS = 25


def fair_share(top: int, *, waiting: int) -> int:
    """`top` less a step for every FAIR_SHARE_PHOTOS photos of the gallery waiting ahead."""
    return top - min(waiting // FAIR_SHARE_PHOTOS, BAND_STEPS)


def photo_sizes_priority(*, photo_id: int, gallery_id: int | None = None, by_guest: bool | None = None) -> int:
    """A guest's upload first; an organizer's photo by its gallery's fair share. A caller
    that has the photo passes its gallery and whether a guest uploaded it (a query less)."""
    if gallery_id is None or by_guest is None:
        photo = Photo.objects.filter(pk=photo_id).values("gallery_id", "uploaded_by_guest").first()
        if photo is None:
            return PHOTO_SIZES
        gallery_id, by_guest = photo["gallery_id"], photo["uploaded_by_guest"]
    if by_guest:
        return GUEST_WAITING
    waiting = (
        Photo.objects.filter(
            gallery_id=gallery_id,
            status__in=(Photo.Status.PENDING, Photo.Status.PROCESSING),
            pk__lt=photo_id,
        )
        .exclude(uploaded_by_guest=True)
        .count()
    )
    return fair_share(PHOTO_SIZES, waiting=waiting)
