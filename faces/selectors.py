"""Reads of face data that pages and other apps make.

find_me_coverage is how far indexing has got for the photos guests see: what a
search made now looks in. photo_privacy is what the hide requests applied to a photo ask of it now; the worker
draws a photo's derivatives by it (galleries/services/processing.py, through
galleries/face_data.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from faces.models import Face, HideRequest, HideRequestPhoto, PhotoFaces
from galleries.face_data import PhotoPrivacy
from galleries.models import Gallery, Photo


def gallery_face_counts(*, gallery: Gallery) -> dict:
    """Find me's progress for the organizer: photos indexed, waiting and failed, and faces."""
    counts = PhotoFaces.objects.filter(gallery=gallery).counts()
    counts["faces"] = Face.objects.filter(gallery=gallery).count()
    counts["people"] = Face.objects.filter(gallery=gallery, person__isnull=False).values("person").distinct().count()
    return counts


@dataclass(frozen=True)
class SearchCoverage:
    """How many of the gallery's guest-visible photos a search looks in (`searched`),
    of all of them (`total`). A photo whose indexing failed for good counts as searched
    with no faces (and is counted again in `failed`): nothing more will come of it until
    the organizer indexes it again, so waiting for it would keep "Search again" on
    offer for ever; the organizer sees it among the gallery's failures."""

    searched: int
    total: int
    failed: int = 0

    @property
    def complete(self) -> bool:
        return self.searched >= self.total


def find_me_coverage(*, gallery: Gallery) -> SearchCoverage:
    """How far Find me's indexing has got for the photos guests see, in one query: a
    photo waiting for indexing (or being indexed, or not queued yet) is not searched."""
    statuses = PhotoFaces.Status
    counts = (
        Photo.objects.guest_visible()
        .filter(gallery=gallery)
        .aggregate(
            total=Count("pk"),
            indexed=Count("pk", filter=Q(face_index__status=statuses.INDEXED)),
            failed=Count("pk", filter=Q(face_index__status=statuses.FAILED)),
        )
    )
    return SearchCoverage(searched=counts["indexed"] + counts["failed"], total=counts["total"], failed=counts["failed"])


def photo_privacy(*, photo_id: int) -> PhotoPrivacy:
    """Hidden if an applied request hides it, or asks to blur a face the face index no
    longer has (deleted with the face data: then hiding is the only way to keep the
    promise); else the boxes of the faces that applied requests blur."""
    entries = HideRequestPhoto.objects.filter(
        photo_id=photo_id, hide_request__status=HideRequest.Status.APPLIED
    ).select_related("hide_request", "face")
    hidden, boxes = False, []
    for entry in entries:
        if entry.hide_request.action == Gallery.HideAction.HIDE or entry.face is None:
            hidden = True
        else:
            face = entry.face
            boxes.append((face.box_left, face.box_top, face.box_width, face.box_height))
    return PhotoPrivacy(hidden=hidden, blur_boxes=sorted(set(boxes)))
