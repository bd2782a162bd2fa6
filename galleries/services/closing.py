"""Closing: a gallery past its `closes_at` has closed to guests (galleries/access.py); nothing
has to happen at that moment for that. What does have to happen, soon after, is that its
face data goes and Find me is switched off: gallery_close does it, and
galleries_close_expired finds the galleries that still need it, so that running it every
minute does nothing (one indexed query) once they are all done. The worker runs it
at each of its sweeps (galleries_closed_sweep), so no cron is needed for it.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from galleries.face_data import galleries_with_face_data, gallery_face_search_switched
from galleries.models import Gallery

GALLERY_EXTEND_DAYS = 30


def galleries_closed_with_face_data(*, now=None):
    """Closed galleries that still have Find me on or face data of any kind."""
    return galleries_with_face_data().closed(now)


@transaction.atomic
def gallery_close(*, gallery: Gallery) -> None:
    """Switches Find me off and deletes the gallery's face data: the rows now, the
    Rekognition collection once this commits (face_data.gallery_face_search_switched)."""
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=False, updated_at=timezone.now())
    gallery.face_search_enabled = False
    gallery_face_search_switched(gallery=gallery)


def galleries_close_expired(*, now=None, dry_run: bool = False) -> list[Gallery]:
    """Closes (gallery_close) the galleries whose closing time has passed and that still
    have face data or Find me on; returns them. With dry_run, only finds them."""
    galleries = list(galleries_closed_with_face_data(now=now).order_by("pk"))
    if not dry_run:
        for gallery in galleries:
            gallery_close(gallery=gallery)
    return galleries


def galleries_closed_sweep() -> int:
    """The worker's sweep (registered in GalleriesConfig.ready()): a gallery's face data
    goes within WORKER_SWEEP_INTERVAL_S of its closing time, whether or not the operator
    set up close_expired_galleries in cron."""
    return len(galleries_close_expired())


def gallery_closing_extend(*, gallery: Gallery, days: int = GALLERY_EXTEND_DAYS, now=None) -> bool:
    """Moves the closing time `days` later, counted from now if it has passed (the
    gallery opens again, without the face data it lost). A gallery that never closes
    stays so: returns False."""
    if gallery.closes_at is None:
        return False
    gallery.closes_at = max(gallery.closes_at, now or timezone.now()) + timedelta(days=days)
    gallery.save(update_fields=["closes_at", "updated_at"])
    return True
