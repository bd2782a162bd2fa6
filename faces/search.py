"""The descriptors of a gallery's faces as one numpy matrix, kept in each process.

A selfie is compared with every face of the gallery at once: for 100,000 faces that
is a (100000 x 128) float32 matrix, 51 MB, and one matrix-vector product of a few
milliseconds. Loading it from the database takes much longer, so each process keeps
the matrices of the galleries it searched last, within FACE_MATRIX_CACHE_BYTES (the
least recently searched dropped first, and any not searched for a while; a matrix
larger than the budget is searched and not kept), and brings them up to date with
small queries:

- the collection's generation and revision. The generation is drawn at random when
  the FaceCollection row is made, so a collection made again (Find me switched off
  and on: the row goes, a new one starts at revision 0) is never taken for the old
  one; a new generation loads the gallery again.
- the faces added since: ids above the highest it holds (faces of a gallery are
  inserted under a lock on its FaceCollection row, so ids grow in commit order).
- when the revision moved (faces removed or regrouped): the ids and persons of the
  faces it holds that are still there, integers rather than 512-byte descriptors;
  the rows gone are dropped from the matrix and the persons replaced.

The arithmetic of descriptors (distance, similarity, which faces are "you") lives
here too, and needs no Django: the local engine's `compare` uses it, and the engine
must not load the app registry, so the models are imported where the rows are read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

DESCRIPTOR_SIZE = 128
# dlib's customary threshold: two descriptors closer than this are the same person.
# The search's own thresholds are settings (FACE_MATCH_DISTANCE and the others).
MATCH_DISTANCE = 0.6
# A gallery not searched for this long is dropped, so that a deleted gallery's faces
# do not stay in memory; the rest are kept within FACE_MATRIX_CACHE_BYTES.
_IDLE_S = 600
# See match_tiers: the most faces whose neighbourhoods one search looks at.
_MOST_NEIGHBOURHOODS = 16
# See match_tiers: the nearest confident faces whose neighbourhoods stand for the
# selfie's own. One: with more, the smallest of their medians is lower than the selfie's
# typical one, and genuine faces fell to "maybe" (bench/README.md).
_MOST_ANCHORS = 1
_LINK_BLOCK = 256


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two descriptors; below MATCH_DISTANCE is the same person."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def similarity(distance_: float, *, match_distance: float = MATCH_DISTANCE) -> float:
    """A descriptor distance on Rekognition's similarity scale: 100 for the same
    descriptor, 80 (Rekognition's customary match threshold) at match_distance, 0 at
    three times it."""
    if distance_ <= match_distance:
        value = 100 - 20 * distance_ / match_distance
    else:
        value = 80 * (1 - (distance_ - match_distance) / (2 * match_distance))
    return round(min(100.0, max(0.0, value)), 2)


@dataclass
class GalleryDescriptors:
    gallery_id: int
    revision: int
    face_ids: np.ndarray  # int64
    photo_ids: np.ndarray  # int64
    persons: np.ndarray  # int64, -1 where not grouped
    descriptors: np.ndarray  # float32 (n, 128)
    # Each row's |descriptor|^2, computed when not given: with_faces passes the rows'
    # already computed, since a pass over the whole matrix costs a few milliseconds.
    squared_norms: np.ndarray | None = field(default=None, repr=False, compare=False)
    # (face row, neighbours, match distance) -> the rows of its nearest faces: a face's
    # neighbourhood does not depend on the selfie, and this snapshot of the gallery never
    # changes (added faces make a new one, which starts empty; removed faces one that
    # keeps the neighbourhoods they were not in).
    neighbourhoods: dict = field(default_factory=dict, repr=False, compare=False)
    # The FaceCollection's generation (empty without one): with the revision, what
    # this snapshot is of.
    generation: str = ""

    @property
    def max_face_id(self) -> int:
        return int(self.face_ids.max()) if len(self.face_ids) else 0

    @property
    def next_person(self) -> int:
        return int(self.persons.max()) + 1 if len(self.persons) else 1

    def distances(self, descriptor: np.ndarray) -> np.ndarray:
        if not len(self.face_ids):
            return np.empty(0, np.float32)
        # |a - b|^2 = |a|^2 + |b|^2 - 2ab, with the norms kept: one product instead of
        # a (n x 128) subtraction.
        squared = self.squared_norms + float(descriptor @ descriptor) - 2 * (self.descriptors @ descriptor)
        return np.sqrt(np.maximum(squared, 0, out=squared))

    def __post_init__(self):
        if self.squared_norms is None:
            self.squared_norms = _squared_norms(self.descriptors)

    def with_faces(self, rows: list[tuple[int, int, int | None, bytes]]) -> GalleryDescriptors:
        added = _arrays(rows)
        return GalleryDescriptors(
            gallery_id=self.gallery_id,
            revision=self.revision,
            face_ids=np.concatenate([self.face_ids, added[0]]),
            photo_ids=np.concatenate([self.photo_ids, added[1]]),
            persons=np.concatenate([self.persons, added[2]]),
            descriptors=np.concatenate([self.descriptors, added[3]]),
            squared_norms=np.concatenate([self.squared_norms, _squared_norms(added[3])]),
            generation=self.generation,
        )

    def at_revision(self, revision: int, present: list[tuple[int, int | None]]) -> GalleryDescriptors | None:
        """This snapshot at a later revision of its collection, given the (id, person)
        of the faces up to max_face_id still in the database, in id order: the rows gone
        dropped, the persons replaced. None when a face present is not held here (the
        gallery must be loaded again)."""
        present_ids = np.fromiter((row[0] for row in present), np.int64, len(present))
        persons = np.fromiter((-1 if row[1] is None else row[1] for row in present), np.int64, len(present))
        kept = np.isin(self.face_ids, present_ids, assume_unique=True)
        if int(kept.sum()) != len(present_ids):
            return None
        if kept.all():
            # Regrouped only: the neighbourhoods (rows of descriptors) still hold.
            return replace(self, revision=revision, persons=persons, neighbourhoods=self.neighbourhoods)
        # A neighbourhood none of whose faces went is still the nearest: kept, renumbered.
        row = np.cumsum(kept) - 1
        neighbourhoods = {
            (int(row[face]), *rest): row[close]
            for (face, *rest), close in list(self.neighbourhoods.items())
            if kept[face] and kept[close].all()
        }
        return GalleryDescriptors(
            gallery_id=self.gallery_id,
            revision=revision,
            face_ids=self.face_ids[kept],
            photo_ids=self.photo_ids[kept],
            persons=persons,
            descriptors=self.descriptors[kept],
            squared_norms=self.squared_norms[kept],
            neighbourhoods=neighbourhoods,
            generation=self.generation,
        )

    @property
    def nbytes(self) -> int:
        arrays = (self.face_ids, self.photo_ids, self.persons, self.descriptors, self.squared_norms)
        return sum(a.nbytes for a in arrays)


@dataclass(frozen=True)
class Tiers:
    distances: np.ndarray  # float32, the selfie's distance to each face of the gallery
    sure: np.ndarray  # bool, "you"
    maybe: np.ndarray  # bool, "you" or "maybe you"


def match_tiers(
    known: GalleryDescriptors,
    descriptor: np.ndarray,
    *,
    match_distance: float,
    maybe_distance: float,
    confident_distance: float,
    person_max_distance: float,
    neighbours: int,
    margin: float = 0.0,
) -> Tiers:
    """Which faces of the gallery are the selfie's person ("you") and which may be.

    A face within confident_distance is "you", and so are the other faces of its person
    (the grouping made at index time) up to person_max_distance.

    Between the two, distance alone cannot tell a lookalike from the person: on LFW
    (bench/README.md) impostors and genuine pairs overlap from 0.5 to 0.6. What tells
    them apart is the face's neighbourhood: a face's own nearest faces (of other photos,
    within match_distance of it) are mostly the same person, so the selfie is about as
    far from them as from the face when it is that person, and much farther when the
    face is a lookalike of someone else. So a face within maybe_distance is "you" when
    the median distance of the selfie to its `neighbours` nearest faces is within
    match_distance, "maybe you" when within maybe_distance, and neither beyond. A face
    without such neighbours (a person seen once) is judged on its own distance, as all
    faces are when neighbours is 0.

    With a margin (0 keeps the rule above exactly), the selfie is one person:
    - the nearest neighbourhood among the faces found "you" (the nearest face's among
      them) is theirs, and a face whose neighbourhood is more than `margin` farther is
      someone else's photos that resemble them: only "maybe you", unless the face itself
      is within confident_distance;
    - a face within maybe_distance and within confident_distance of a face found "you"
      (of another photo) is "you" too: the same person seen twice, as the index-time
      grouping would have put it, followed three steps at most;
    - a face a little beyond maybe_distance, up to person_max_distance, is "maybe you"
      when its neighbourhood is as near as a "you" one's (within match_distance).
    """
    distances = known.distances(descriptor)
    sure = distances <= confident_distance
    confident_persons = np.unique(known.persons[sure & (known.persons >= 0)])
    if len(confident_persons):
        sure |= np.isin(known.persons, confident_persons) & (distances <= person_max_distance)
    # With a margin, faces up to person_max_distance are looked at (see "Beyond" below).
    band = max(maybe_distance, person_max_distance) if neighbours > 0 and margin > 0 else maybe_distance
    undecided = np.flatnonzero(~sure & (distances <= band))
    # The neighbourhood's distance stands in for the face's own where it has one.
    judged = distances.copy()
    alone = np.ones(len(distances), bool)
    if neighbours > 0 and len(undecided):
        # Each neighbourhood costs a pass over the gallery: the nearest
        # _MOST_NEIGHBOURHOODS faces get one, in one matrix product for those not
        # looked at before (about 1 ms per face at 100,000 faces), any farther are
        # judged on their own distance. With a margin, the nearest confident face
        # too: its neighbourhood is the selfie's own.
        looked_at = undecided[np.argsort(distances[undecided], kind="stable")[:_MOST_NEIGHBOURHOODS]]
        if margin > 0:
            confident = np.flatnonzero(sure)
            anchors = confident[np.argsort(distances[confident], kind="stable")[:_MOST_ANCHORS]]
            looked_at = np.concatenate([anchors, looked_at])
        for face, close in _neighbourhoods(known, looked_at, neighbours, match_distance).items():
            if len(close):
                judged[face] = float(np.median(distances[close]))
                alone[face] = False
    candidates = np.zeros(len(distances), bool)
    candidates[undecided] = True
    sure |= candidates & (judged <= match_distance) & (distances <= maybe_distance)
    # Beyond maybe_distance, only a face whose neighbourhood is as near as a "you" one's.
    maybe = candidates & np.where(
        distances <= maybe_distance, judged <= maybe_distance, ~alone & (judged <= match_distance)
    )
    if margin > 0 and neighbours > 0:
        seen = sure & ~alone
        if seen.any():
            far_off = sure & ~alone & (distances > confident_distance) & (judged > judged[seen].min() + margin)
            sure &= ~far_off
        sure |= _linked(known, sure, maybe & ~sure & (distances <= maybe_distance), confident_distance)
    return Tiers(distances=distances, sure=sure, maybe=sure | maybe)


def _linked(known: GalleryDescriptors, sure: np.ndarray, open_: np.ndarray, link_distance: float) -> np.ndarray:
    """The faces of open_ within link_distance of a face of sure (of another photo),
    and of the faces so found, three steps at most. The distances are taken in blocks of
    _LINK_BLOCK faces of sure, so that a person seen thousands of times costs time, not
    memory."""
    found = np.zeros(len(sure), bool)
    linked_from, open_ = np.flatnonzero(sure), open_.copy()
    for _ in range(3):
        rows = np.flatnonzero(open_)
        if not len(rows) or not len(linked_from):
            break
        close = np.zeros(len(rows), bool)
        for start in range(0, len(linked_from), _LINK_BLOCK):
            block = linked_from[start : start + _LINK_BLOCK]
            squared = known.descriptors[rows] @ known.descriptors[block].T
            squared *= -2
            squared += known.squared_norms[rows][:, None]
            squared += known.squared_norms[block][None, :]
            other_photo = known.photo_ids[rows][:, None] != known.photo_ids[block][None, :]
            close |= ((squared <= link_distance**2) & other_photo).any(axis=1)
        newly = rows[close]
        found[newly] = True
        open_[newly] = False
        linked_from = newly
    return found


def _neighbourhoods(
    known: GalleryDescriptors, faces: np.ndarray, neighbours: int, match_distance: float
) -> dict[int, np.ndarray]:
    """face row -> the rows of its `neighbours` nearest faces of other photos within
    match_distance of it, remembered with the gallery's descriptors."""
    keys = {int(face): (int(face), neighbours, match_distance) for face in faces}
    missing = np.array([face for face, key in keys.items() if key not in known.neighbourhoods], np.int64)
    if len(missing):
        squared = _squared_distances(known, missing)
        for row, face in enumerate(missing.tolist()):
            close = np.flatnonzero(squared[row] <= match_distance**2)
            close = close[known.photo_ids[close] != known.photo_ids[face]]
            if len(close) > neighbours:
                close = close[np.argpartition(squared[row, close], neighbours - 1)[:neighbours]]
            known.neighbourhoods[keys[face]] = close
    return {face: known.neighbourhoods[key] for face, key in keys.items()}


def _squared_distances(known: GalleryDescriptors, rows: np.ndarray) -> np.ndarray:
    """Squared distances of these faces to every face of the gallery, one matrix product."""
    squared = known.descriptors[rows] @ known.descriptors.T
    squared *= -2
    squared += known.squared_norms[None, :]
    squared += known.squared_norms[rows][:, None]
    return squared


def _squared_norms(descriptors: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", descriptors, descriptors)


def _arrays(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    face_ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    photo_ids = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    persons = np.fromiter((-1 if r[2] is None else r[2] for r in rows), np.int64, len(rows))
    descriptors = np.frombuffer(b"".join(bytes(r[3]) for r in rows), np.float32).reshape(len(rows), DESCRIPTOR_SIZE)
    return face_ids, photo_ids, persons, descriptors


def _rows(gallery_id: int, above_id: int = 0):
    from faces.models import Face

    return list(
        Face.objects.filter(gallery_id=gallery_id, id__gt=above_id, descriptor__isnull=False)
        .order_by("id")
        .values_list("id", "photo_id", "person", "descriptor")
    )


def _present(gallery_id: int, up_to_id: int) -> list[tuple[int, int | None]]:
    from faces.models import Face

    return list(
        Face.objects.filter(gallery_id=gallery_id, id__lte=up_to_id, descriptor__isnull=False)
        .order_by("id")
        .values_list("id", "person")
    )


_cache: OrderedDict[int, GalleryDescriptors] = OrderedDict()
_last_used: dict[int, float] = {}
_lock = threading.Lock()


def gallery_descriptors(gallery_id: int) -> GalleryDescriptors:
    """The gallery's face descriptors as they are in the database now."""
    from faces.models import FaceCollection

    generation, revision = FaceCollection.objects.filter(gallery_id=gallery_id).values_list(
        "generation", "revision"
    ).first() or ("", 0)
    generation = str(generation)
    with _lock:
        cached = _cache.get(gallery_id)
    current = None
    if cached is not None and cached.generation == generation:
        current = cached
        if cached.revision != revision:
            current = cached.at_revision(revision, _present(gallery_id, cached.max_face_id))
        if current is not None:
            added = _rows(gallery_id, current.max_face_id)
            current = current.with_faces(added) if added else current
    if current is None:
        current = GalleryDescriptors(gallery_id, revision, *_arrays(_rows(gallery_id)), generation=generation)
    _keep(current)
    return current


def _keep(current: GalleryDescriptors) -> None:
    """Keep the snapshot as its gallery's, unless it alone is over the byte budget, and
    drop galleries idle too long, then the least recently searched over the budget."""
    from django.conf import settings

    budget = settings.FACE_MATRIX_CACHE_BYTES
    now = time.monotonic()
    with _lock:
        _cache.pop(current.gallery_id, None)
        _last_used.pop(current.gallery_id, None)
        if current.nbytes <= budget:
            _cache[current.gallery_id] = current
            _last_used[current.gallery_id] = now
        for idle in [g for g, used in _last_used.items() if now - used > _IDLE_S]:
            _cache.pop(idle, None)
            _last_used.pop(idle, None)
        held = sum(known.nbytes for known in _cache.values())
        while held > budget:
            gallery_id, dropped = _cache.popitem(last=False)
            _last_used.pop(gallery_id, None)
            held -= dropped.nbytes


def cached_gallery_ids() -> list[int]:
    """The galleries whose matrices this process holds, least recently searched first."""
    with _lock:
        return list(_cache)


def forget(gallery_id: int) -> None:
    with _lock:
        _cache.pop(gallery_id, None)
        _last_used.pop(gallery_id, None)
