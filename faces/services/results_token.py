"""Find me's results, in a signed, expiring token.

Nothing new is stored on the server: the token holds which photos matched and where the
face is, never anything of the selfie, but for one boolean: whether it was a copy of a
gallery photo (faces/copies.py), in which case those results cannot hide photos. A
token is good for its own gallery only, and photos hidden since are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError

from faces.selectors import SearchCoverage
from faces.services.search import SearchResult
from galleries.models import Gallery, Photo

FIND_ME_RESULTS_SALT = "faces.find-me-results"


class FindMeResultsInvalid(Exception):
    """A results token that was not made here, was changed, or is for another gallery."""


class FindMeResultsExpired(FindMeResultsInvalid):
    pass


@dataclass(frozen=True)
class FoundPhoto:
    """A photo of the results as the results page draws it."""

    photo: Photo
    is_sure: bool
    similarity: float
    face_box: dict[str, float]  # percent of the photo: left, top, width, height
    face_id: int | None = None  # the face the search matched, as the signed results name it


@dataclass(frozen=True)
class FindMeResults:
    gallery_id: int
    faces_in_selfie: int
    found: list[FoundPhoto]  # strongest first; sure ones before the maybes
    from_copy: bool = False  # searched with a copy of a gallery photo: no hiding from these
    # How many photos the search looked in, of all guests saw, when indexing was not done.
    coverage: SearchCoverage | None = None

    @property
    def sure(self) -> list[FoundPhoto]:
        return [f for f in self.found if f.is_sure]

    @property
    def maybe(self) -> list[FoundPhoto]:
        return [f for f in self.found if not f.is_sure]


def _permille(value: float) -> int:
    return round(1000 * min(max(value, 0.0), 1.0))


def find_me_results_token(*, gallery: Gallery, result: SearchResult) -> str:
    """The results as a URL-safe token: signed (with a salt of its own) and compressed.

    It holds the gallery, the number of faces in the selfie, whether the selfie was a
    copy of a gallery photo ("c": such results cannot hide photos), while the gallery was
    not fully indexed how many photos were searched of how many ("n"), and for each photo its id,
    whether it is "you", the similarity (one decimal), the face's box (per mille) and
    the face's id in the face index (what a hide request blurs: signed here, so a guest
    can only ever name the faces their own search matched).
    The ids are sorted and sent as differences, which compress to a few bytes each; the
    page puts the photos back in order. Ids rather than keys: a key is 16 random bytes
    that do not compress, and 100 of them would pass the 4 KB a request line may take.
    The ids are never used to reach a photo: they only pick among the gallery's ready
    photos that the visitor may see when the page is asked for."""
    rows, previous = [], 0
    for match in sorted(result.matches, key=lambda m: m.photo.pk):
        face = match.face
        rows.append(
            [
                match.photo.pk - previous,
                int(match.is_sure),
                round(match.similarity * 10),
                _permille(face.box_left),
                _permille(face.box_top),
                _permille(face.box_width),
                _permille(face.box_height),
                face.pk or 0,
            ]
        )
        previous = match.photo.pk
    payload = {"g": gallery.pk, "f": result.faces_in_selfie, "p": rows}
    if result.from_copy:
        payload["c"] = 1
    if result.coverage is not None and not result.coverage.complete:
        coverage = result.coverage
        payload["n"] = [coverage.searched, coverage.total, coverage.failed]
    return _ResultsSigner().sign_object(payload, compress=True)


class FindMeResultsPhotoUnknown(FindMeResultsInvalid):
    """A photo that the results do not hold."""


class _ResultsSigner(signing.TimestampSigner):
    """Django's timestamp signer, that can sign with the time the results were made:
    results narrowed by "that's not me" expire when the search's own did."""

    def __init__(self, *, made_at: int | None = None):
        super().__init__(salt=FIND_ME_RESULTS_SALT)
        self.made_at = made_at

    def timestamp(self) -> str:
        return super().timestamp() if self.made_at is None else signing.b62_encode(self.made_at)

    def made_at_of(self, token: str) -> int:
        """The time a token, already checked by unsign_object, was made at."""
        return signing.b62_decode(signing.Signer.unsign(self, token).rsplit(self.sep, 1)[1])


def _results_payload(*, gallery: Gallery, token: str) -> tuple[dict, dict[int, tuple[bool, float, tuple]]]:
    """The token's payload and its rows (photo id -> sure, similarity, box in per mille),
    or the errors of find_me_results_read."""
    try:
        payload = _ResultsSigner().unsign_object(token, max_age=settings.FIND_ME_RESULTS_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise FindMeResultsExpired("These results have expired.") from exc
    except signing.BadSignature as exc:
        raise FindMeResultsInvalid("These results were not made here.") from exc
    try:
        if payload["g"] != gallery.pk:
            raise FindMeResultsInvalid("These results are of another gallery.")
        rows, photo_id = {}, 0
        for row in payload["p"]:
            # Tokens made before faces were named in them have seven fields.
            delta, sure, similarity, left, top, width, height, *face = row
            photo_id += delta
            rows[photo_id] = (bool(sure), similarity / 10, (left, top, width, height), int(face[0]) if face else 0)
        int(payload["f"])
    except (KeyError, TypeError, ValueError) as exc:
        # Signed by us, yet not of this shape: a token of an older version of this code.
        raise FindMeResultsInvalid("These results cannot be read.") from exc
    return payload, rows


def find_me_results_read(*, gallery: Gallery, token: str) -> FindMeResults:
    """The results a token holds, for this gallery, with the photos that are still
    there and guests still see; raises FindMeResultsExpired after FIND_ME_RESULTS_MAX_AGE_S
    and FindMeResultsInvalid for a token that is forged, changed or of another gallery.
    Whether the visitor may see the gallery is the caller's to check, on every request."""
    payload, rows = _results_payload(gallery=gallery, token=token)
    photos = Photo.objects.guest_visible().filter(gallery=gallery, pk__in=list(rows)).for_tiles().in_display_order()
    found = []
    for photo in photos:
        sure, similarity, (left, top, width, height), face_id = rows[photo.pk]
        box = {
            "left": left / 10,
            "top": top / 10,
            "width": min(width, 1000 - left) / 10,
            "height": min(height, 1000 - top) / 10,
        }
        found.append(
            FoundPhoto(photo=photo, is_sure=sure, similarity=similarity, face_box=box, face_id=face_id or None)
        )
    # Stable: among equals, the gallery's own order (as the search ranks them).
    found.sort(key=lambda f: (not f.is_sure, -f.similarity))
    return FindMeResults(
        gallery_id=gallery.pk,
        faces_in_selfie=int(payload["f"]),
        found=found,
        from_copy=bool(payload.get("c")),
        coverage=_coverage(payload),
    )


def _coverage(payload: dict) -> SearchCoverage | None:
    """The searched photos the token names: only while indexing was not done ("n")."""
    try:
        searched, total, failed = payload["n"]
        return SearchCoverage(searched=int(searched), total=int(total), failed=int(failed))
    except (KeyError, TypeError, ValueError):
        return None


def find_me_results_without(*, gallery: Gallery, token: str, photo_key: str) -> str:
    """The token of these results less one photo, which the guest said is not them.

    Nothing is stored: the new token is the old one's payload without that photo's row,
    signed again with the time the search was made, so narrowing results never makes
    them last longer. Raises as find_me_results_read for a bad token, and
    FindMeResultsPhotoUnknown for a photo that the results do not hold."""
    payload, rows = _results_payload(gallery=gallery, token=token)
    try:
        photo_id = Photo.objects.filter(gallery=gallery, key=photo_key).values_list("pk", flat=True).first()
    except ValidationError:  # not a key at all
        photo_id = None
    if photo_id not in rows:
        raise FindMeResultsPhotoUnknown("That photo is not among these results.")
    kept, previous = [], 0
    for kept_id in sorted(rows.keys() - {photo_id}):
        sure, similarity, box, face_id = rows[kept_id]
        kept.append([kept_id - previous, int(sure), round(similarity * 10), *box, face_id])
        previous = kept_id
    signer = _ResultsSigner()
    made_at = signer.made_at_of(token)
    return _ResultsSigner(made_at=made_at).sign_object({**payload, "p": kept}, compress=True)


def find_me_results_photos(*, gallery: Gallery, token: str, with_maybe: bool) -> list[Photo]:
    """The photos of a results token to download, in the gallery's order: those that are
    "you", and with `with_maybe` those that may be you too. As find_me_results_read:
    only the gallery's photos still ready, and the same errors for a bad token; whether
    the visitor may see and download them is the caller's to check."""
    results = find_me_results_read(gallery=gallery, token=token)
    ids = [found.photo.pk for found in results.found if found.is_sure or with_maybe]
    # download_name() reads the uploaded name, which the tiles' columns leave out.
    return list(
        Photo.objects.guest_visible()
        .filter(gallery=gallery, pk__in=ids)
        .in_display_order()
        .only("gallery", "key", "original", "thumbnail", "middle", "display", "original_filename", "faces_blurred")
    )
