"""Reads of face data that pages and other apps make.

photo_privacy is what the hide requests applied to a photo ask of it now; the worker
draws a photo's derivatives by it (galleries/services/processing.py, through
galleries/face_data.py).
"""

from __future__ import annotations

from faces.models import Face, HideRequest, HideRequestPhoto, PhotoFaces
from galleries.face_data import PhotoPrivacy
from galleries.models import Gallery


def gallery_face_counts(*, gallery: Gallery) -> dict:
    """Find me's progress for the organizer: photos indexed, waiting and failed, and faces."""
    counts = PhotoFaces.objects.filter(gallery=gallery).counts()
    counts["faces"] = Face.objects.filter(gallery=gallery).count()
    counts["people"] = Face.objects.filter(gallery=gallery, person__isnull=False).values("person").distinct().count()
    return counts


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
