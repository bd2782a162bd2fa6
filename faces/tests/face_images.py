"""Real face photos for the tests, and selfies and event-sized shots made from them.

The photos come from a package pinned by version and hash: the insightface wheel ships
a group photo with six faces (`insightface/data/images/t1.jpg`, 1280 x 886) and a
112 x 112 face crop (`Tom_Hanks_54745.png`). pip downloads the wheel once into
~/.cache/eventgallery-test-data (or $EVENTGALLERY_TEST_DATA); the two files are read
out of it, nothing is installed. Without the download the tests that need the photos
are skipped on a laptop and fail in CI, where a skip would hide that they never ran.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageOps

INSIGHTFACE_VERSION = "2.1"
_WHEEL = f"insightface-{INSIGHTFACE_VERSION}-py3-none-any.whl"
_WHEEL_SHA256 = "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"
_IMAGES = "insightface/data/images/"
_DOWNLOAD_TIMEOUT_S = 300

# Where the six faces of t1.jpg are: (x, y) of a point between the eyes and the mouth,
# left to right. Checked by eye; a box "on a face" must contain exactly one of them.
GROUP_PHOTO_FACE_CENTRES = [(122, 338), (311, 221), (505, 350), (780, 422), (935, 133), (1174, 338)]


def group_photo() -> Image.Image:
    """t1.jpg: six people around a table, faces 90-130 px, RGB 1280 x 886."""
    return _open("t1.jpg")


def tom_hanks() -> Image.Image:
    """A tight 112 x 112 crop of a face that is not in the group photo."""
    return _open("Tom_Hanks_54745.png")


def table() -> Image.Image:
    """The bottom of the group photo, where there is no face: a table with chips,
    glasses, cards and hands."""
    return group_photo().crop((0, 640, 1280, 886))


def selfie_of(
    image: Image.Image,
    centre: tuple[int, int],
    *,
    face_px: int,
    angle: float = 6.0,
    scale: float = 1.6,
    quality: int = 55,
) -> Image.Image:
    """A selfie-like photo of the face at centre: cropped with head and shoulders,
    turned a few degrees, enlarged and saved again as a mediocre JPEG."""
    x, y = centre
    half = int(face_px * 1.3)
    crop = image.convert("RGB").crop((x - half, y - half, x + half, y + int(half * 1.4)))
    crop = crop.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
    crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.BICUBIC)
    return reencoded(crop, quality=quality)


def another_photo_of(image: Image.Image, centre: tuple[int, int], *, quality: int = 80) -> Image.Image:
    """A stand-in for another photo of the person at centre, taken with a camera: the
    test photos hold one photo of each person, and a crop of it, however turned and
    re-encoded, is a copy (0.08-0.12 from the photo's face; faces/copies.py refuses it
    for hiding). Mirrored and sheared, the face is 0.34-0.52 from the photo's, as far as
    another photo of the same person is (0.33 and more, bench/README.md), and still
    "you" (under FACE_CONFIDENT_DISTANCE for the third face, 0.36)."""
    x, y = centre
    half = 150
    crop = image.convert("RGB").crop((x - half, y - half, x + half, y + int(half * 1.4)))
    crop = ImageOps.mirror(crop).transform(
        crop.size, Image.Transform.AFFINE, (1, 0.25, -40, 0.05, 1, 0), resample=Image.Resampling.BICUBIC
    )
    return reencoded(crop.resize((600, 780), Image.Resampling.BICUBIC), quality=quality)


def reencoded(image: Image.Image, *, quality: int = 92, exif: Image.Exif | None = None) -> Image.Image:
    """The image saved as a JPEG (with the EXIF given) and opened again."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif if exif is not None else Image.Exif())
    buffer.seek(0)
    return Image.open(buffer)


def event_shot(
    image: Image.Image,
    *,
    scale: float,
    at: tuple[int, int],
    size: tuple[int, int] = (6000, 4000),
) -> Image.Image:
    """A 24-megapixel frame with image shrunk by scale and pasted at `at`, on a textured
    background without faces (the table, stretched), since no real photo is flat."""
    image = image.convert("RGB")
    canvas = table().resize(size, Image.Resampling.BICUBIC)
    small = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    canvas.paste(small, at)
    return reencoded(canvas, quality=90)


def _open(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(_read_from_wheel(name)))
    image.load()
    return image


@functools.cache
def _read_from_wheel(name: str) -> bytes:
    wheel = _wheel()
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(_IMAGES + name)


def _wheel() -> Path:
    wheel, reason = _fetched_wheel()
    if wheel is None:
        _unavailable(reason)
    return wheel


@functools.cache
def _fetched_wheel() -> tuple[Path | None, str]:
    # Remembers a failure too, so that a missing network costs one attempt, not one a test.
    cache = Path(os.environ.get("EVENTGALLERY_TEST_DATA") or Path.home() / ".cache" / "eventgallery-test-data")
    wheel = cache / _WHEEL
    if wheel.exists() and _sha256(wheel) == _WHEEL_SHA256:
        return wheel, ""
    failure = _download(cache)
    if failure:
        return None, failure
    if not wheel.exists():
        return None, f"pip did not save {_WHEEL} into {cache}"
    if _sha256(wheel) != _WHEEL_SHA256:
        wheel.unlink()
        return None, f"{_WHEEL} does not have the expected SHA-256 {_WHEEL_SHA256}"
    return wheel, ""


def _download(cache: Path) -> str:
    """Runs pip; returns what went wrong, or "" when it worked."""
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        f"insightface=={INSIGHTFACE_VERSION}",
        "-d",
        str(cache),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{' '.join(command)}` did not finish: {exc}"
    if result.returncode != 0:
        return f"`{' '.join(command)}` failed:\n{result.stderr.strip()[-2000:]}"
    return ""


def _unavailable(reason: str) -> None:
    message = f"The test face photos (insightface=={INSIGHTFACE_VERSION} from PyPI) are unavailable: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
