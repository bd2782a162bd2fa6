"""Whether a selfie is a copy of a gallery photo, rather than a picture of its person.

Anyone who sees a gallery can download a photo and search Find me with it: that finds
the photos of whoever is in it, which the visitor could see anyway, so the search is
answered. But such a search must not start a hide request, or one visitor could empty a
gallery of other people's photos (issue 18). A selfie is a copy when either:

- its face is within a copy's distance of a gallery face: far closer than two photos of
  the same person ever are (the engine says: FaceEngine.is_copy), whatever was cropped,
  resized or re-encoded around it;
- the whole picture is the same as a gallery photo's, resized, re-encoded or
  watermarked: its difference hash (a 16 x 16 grid of "brighter than the pixel to its
  right", 256 bits) is within FACE_COPY_HASH_BITS of the photo's, kept with the photo's
  face index when it is indexed. One query reads a gallery's hashes, never one a photo.

The hashes describe a whole gallery photo, which organizers and guests see anyway;
nothing of the selfie is kept (its hash is compared in memory and dropped).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_SIDE = 16
HASH_BYTES = HASH_SIDE * HASH_SIDE // 8


def picture_hash(image: Image.Image) -> bytes:
    """The image's difference hash: 256 bits, 32 bytes."""
    # Averaged down first (reduce() is a box filter too): converting a 24 MP photo to
    # grey whole cost the indexing 0.07 s a photo, for a 17 x 16 hash.
    factor = max(1, min(image.size) // (HASH_SIDE * 16))
    small = image.reduce(factor) if factor > 1 else image
    gray = small.convert("L").resize((HASH_SIDE + 1, HASH_SIDE), Image.Resampling.BOX)
    pixels = np.asarray(gray, dtype=np.int16)
    return np.packbits(pixels[:, 1:] > pixels[:, :-1]).tobytes()


def nearest_hash_bits(selfie_hash: bytes, hashes: list[bytes]) -> int | None:
    """The fewest bits by which the selfie's hash differs from any of these, or None
    when there are none."""
    usable = [h for h in hashes if h is not None and len(h) == HASH_BYTES]
    if not usable:
        return None
    known = np.frombuffer(b"".join(bytes(h) for h in usable), np.uint8).reshape(len(usable), HASH_BYTES)
    selfie = np.frombuffer(selfie_hash, np.uint8)
    return int(np.unpackbits(known ^ selfie, axis=1).sum(axis=1).min())


def gallery_picture_hashes(gallery_id: int) -> list[bytes]:
    """The hashes of the gallery's indexed photos, in one query."""
    from faces.models import PhotoFaces

    return list(
        PhotoFaces.objects.filter(gallery_id=gallery_id, picture_hash__isnull=False).values_list(
            "picture_hash", flat=True
        )
    )


def is_copy_of_gallery_picture(*, gallery_id: int, image: Image.Image, max_bits: int) -> bool:
    nearest = nearest_hash_bits(picture_hash(image), gallery_picture_hashes(gallery_id))
    return nearest is not None and nearest <= max_bits
