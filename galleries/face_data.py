"""What the galleries app asks of Find me, which lives in the faces app.

Imports go one way: faces imports galleries, never the other way round. Where a gallery
service must have face work done (a photo shown to guests is indexed, a deleted photo's
faces are forgotten in the same transaction, a gallery's Find me switched off), it calls
the function here, which runs what the faces app registered from its AppConfig.ready()
(faces/apps.py). Nothing is optional: face data must never outlive its photo or gallery,
so calling before the faces app registered raises rather than doing nothing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


@dataclass(frozen=True)
class PhotoPrivacy:
    """What the hide requests applied to a photo ask of it now."""

    hidden: bool
    blur_boxes: list[tuple[float, float, float, float]]  # ratios of the upright photo


@dataclass(frozen=True)
class FaceData:
    """The faces app's answers (faces/apps.py registers them; each names its implementation)."""

    photo_privacy: Callable[..., PhotoPrivacy]  # faces.selectors.photo_privacy(*, photo_id)
    photo_faces_queue: Callable[..., bool]  # faces.services.indexing.photo_faces_queue(*, photo)
    photos_faces_forget: Callable[..., None]  # faces.services.indexing.photos_faces_forget(*, photo_ids)
    gallery_faces_forget: Callable[..., None]  # faces.services.indexing.gallery_faces_forget(*, gallery)
    # faces.services.indexing.gallery_face_search_switched(*, gallery)
    gallery_face_search_switched: Callable[..., int]
    galleries_with_face_data: Callable[[], QuerySet]  # faces.privacy.galleries_with_face_data()


_registered: FaceData | None = None


def face_data_register(face_data: FaceData) -> None:
    global _registered
    _registered = face_data


def _face_data() -> FaceData:
    if _registered is None:
        raise ImproperlyConfigured("The faces app registers its face data in FacesConfig.ready().")
    return _registered


def photo_privacy(*, photo_id: int) -> PhotoPrivacy:
    return _face_data().photo_privacy(photo_id=photo_id)


def photo_faces_queue(*, photo) -> bool:
    return _face_data().photo_faces_queue(photo=photo)


def photos_faces_forget(*, photo_ids: Iterable[int]) -> None:
    _face_data().photos_faces_forget(photo_ids=photo_ids)


def gallery_faces_forget(*, gallery) -> None:
    _face_data().gallery_faces_forget(gallery=gallery)


def gallery_face_search_switched(*, gallery) -> int:
    return _face_data().gallery_face_search_switched(gallery=gallery)


def galleries_with_face_data() -> QuerySet:
    return _face_data().galleries_with_face_data()
