"""What the viewer's Info tells a guest of one photo: its file name, its size in pixels
and megabytes (of the file as uploaded), when it was taken and with what camera, as far
as the photo's own metadata says (galleries/imaging.py read them at upload). Nothing
that is not already in an original a guest may download, and never where it was taken."""

from dataclasses import dataclass
from datetime import datetime

from galleries.models import Photo


@dataclass(frozen=True)
class PhotoInfo:
    file_name: str
    width: int
    height: int
    megabytes: float
    taken_at: datetime | None  # as the camera's clock said it, in the site's time zone
    camera: str  # "" when the photo does not say


def megabytes(size: int) -> float:
    """Bytes in MB (10^6, as phones and browsers count them): whole from 10 MB, else to a
    tenth, and never 0."""
    value = size / 1_000_000
    return round(value) if value >= 10 else max(0.1, round(value, 1))


def camera_name(make: str, model: str) -> str:
    """ "Canon" and "Canon EOS R6" make "Canon EOS R6"; "NIKON CORPORATION" and "NIKON
    D750" make "NIKON D750"; "Apple" and "iPhone 15" make "Apple iPhone 15"."""
    make, model = make.strip(), model.strip()
    if not model:
        return make
    brand = make.split(" ", 1)[0].lower() if make else ""
    if not brand or model.lower().startswith(brand):
        return model
    return f"{make} {model}"


def photo_info(photo: Photo) -> PhotoInfo:
    return PhotoInfo(
        file_name=photo.original_filename,
        width=photo.width,
        height=photo.height,
        megabytes=megabytes(photo.file_size),
        taken_at=photo.taken_at,
        camera=camera_name(photo.camera_make, photo.camera_model),
    )
