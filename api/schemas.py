"""The API's bodies, as pydantic schemas: OpenAPI is made from them."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from galleries.models import Gallery

Base64Image = Annotated[str, StringConstraints(min_length=1)]


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# Text without NUL characters, which PostgreSQL cannot store (Django's form fields
# refuse them too).
_NO_NUL = r"^[^\x00]*$"


class GalleryIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)]
    slug: Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]+$", max_length=100)] | None = None
    description: Annotated[str, StringConstraints(pattern=_NO_NUL)] = ""
    event_date: date | None = None
    visibility: Gallery.Visibility = Gallery.Visibility.PUBLIC
    access_code: Annotated[str, StringConstraints(max_length=64, pattern=_NO_NUL)] = ""
    is_published: bool = False


class GalleryOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    event_date: date | None
    visibility: str
    is_published: bool
    face_search_enabled: bool
    closes_at: datetime | None = Field(description="From then on the gallery is closed to guests (410); null: never.")
    url: str = Field(description="The gallery's page.")
    created_at: datetime
    updated_at: datetime


class PhotoUrls(Schema):
    thumbnail: str | None
    middle: str | None = Field(
        description="About 1024 px (PHOTO_MIDDLE_SIZE): for tiles on high-density screens. None until made for "
        "photos processed before it existed; use display then."
    )
    display: str | None
    original: str | None = Field(
        description="Null when the gallery's download policy keeps the originals from this caller."
    )


class PhotoOut(Schema):
    id: UUID = Field(description="The photo's key: DELETE /api/image/<id> deletes it.")
    filename: str
    status: str
    width: int
    height: int
    file_size: int
    taken_at: datetime | None
    created_at: datetime
    urls: PhotoUrls


class PhotoPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None
    results: list[PhotoOut]


class AttachIn(Schema):
    filename: UUID = Field(description="The key POST /api/image/upload returned.")


class UploadOut(Schema):
    filename: UUID = Field(description="The upload's key, for POST /api/gallery/<id>/photos.")
    url: str = Field(description="Where the stored file can be read, for a limited time.")
    file_size: int
    expires_at: datetime = Field(description="When the upload is deleted unless attached to a gallery.")


class CompareIn(Schema):
    source_image: Base64Image = Field(description="Base64 image (a data: URL works too).")
    target_image: Base64Image = Field(description="Base64 image (a data: URL works too).")


class CompareOut(Schema):
    match: bool
    similarity: float


class DetectIn(Schema):
    image: Base64Image = Field(description="Base64 image (a data: URL works too).")


class BoundingBox(Schema):
    Width: float
    Height: float
    Left: float
    Top: float


class LandmarkOut(Schema):
    Type: str
    X: float
    Y: float


class FaceDetail(Schema):
    BoundingBox: BoundingBox
    Confidence: float
    Landmarks: list[LandmarkOut]


class FaceBoxOut(Schema):
    left: float
    top: float
    width: float
    height: float


class FindMeMatch(Schema):
    photo: PhotoOut
    face: FaceBoxOut = Field(description="The face found, as ratios of the photo's width and height.")
    similarity: float


class FindMeOut(Schema):
    faces_in_selfie: int
    you: list[FindMeMatch]
    maybe_you: list[FindMeMatch]
    # How many of the gallery's photos were searched, of all that guests see: fewer while
    # indexing is not done (a photo whose indexing failed counts as searched, with no faces).
    photos_searched: int
    photos_total: int
