"""faces.search.match_tiers on descriptors placed by hand: the selfie at the origin,
faces along their own axes, so that every distance is known."""

from __future__ import annotations

import numpy as np
import pytest

from faces.search import GalleryDescriptors, match_tiers

THRESHOLDS = {
    "match_distance": 0.55,
    "maybe_distance": 0.6,
    "confident_distance": 0.45,
    "person_max_distance": 0.65,
}
SELFIE = np.zeros(128, np.float32)


def _axis(i: int, length: float = 1.0) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[i] = length
    return v


def _gallery(faces: list[np.ndarray], photos: list[int] | None = None, persons: list[int] | None = None):
    n = len(faces)
    return GalleryDescriptors(
        gallery_id=1,
        revision=0,
        face_ids=np.arange(1, n + 1, dtype=np.int64),
        photo_ids=np.array(photos or range(1, n + 1), np.int64),
        persons=np.array(persons or [-1] * n, np.int64),
        descriptors=np.array(faces, np.float32),
    )


def _lookalike(spread: float) -> list[np.ndarray]:
    """A face 0.5 from the selfie and five faces `spread` from it, on other axes: someone
    else's photos, farther from the selfie than that one photo is."""
    face = _axis(1, 0.5)
    return [face] + [face + _axis(10 + j, spread) for j in range(5)]


def _genuine() -> list[np.ndarray]:
    """A face 0.58 from the selfie among five of 0.51, close together: one person."""
    return [_axis(2, 0.58)] + [_axis(2, 0.5) + _axis(20 + j, 0.1) for j in range(5)]


def _tiers(known, neighbours=5):
    return match_tiers(known, SELFIE, neighbours=neighbours, **THRESHOLDS)


def test_a_lookalike_whose_neighbours_are_farther_is_only_maybe_you():
    tiers = _tiers(_gallery(_lookalike(0.3)))

    assert tiers.distances[0] == pytest.approx(0.5)
    assert np.allclose(tiers.distances[1:], np.hypot(0.5, 0.3))  # 0.583: maybe, each of them
    assert not tiers.sure[0] and tiers.maybe[0]


def test_a_lookalike_whose_neighbours_are_far_is_not_shown():
    tiers = _tiers(_gallery(_lookalike(0.45)))  # its neighbours are 0.67 from the selfie

    assert not tiers.sure.any() and not tiers.maybe.any()


def test_a_face_a_little_far_among_close_faces_of_its_person_is_you():
    tiers = _tiers(_gallery(_genuine()))

    assert tiers.distances[0] == pytest.approx(0.58)
    assert tiers.sure.all() and tiers.maybe.all()


def test_a_face_without_neighbours_is_judged_on_its_own_distance():
    faces = [_axis(3, 0.52), _axis(4, 0.58), _axis(5, 0.62)] + _lookalike(0.45)
    tiers = _tiers(_gallery(faces))

    assert tiers.sure[:3].tolist() == [True, False, False]
    assert tiers.maybe[:3].tolist() == [True, True, False]


def test_faces_of_the_same_photo_are_not_neighbours():
    # Five faces of one photo are five people: they say nothing of the sixth.
    tiers = _tiers(_gallery(_lookalike(0.45), photos=[1, 1, 1, 1, 1, 1]))

    assert tiers.sure[0] and not tiers.sure[1:].any()


def test_without_neighbours_each_face_is_judged_on_its_own_distance():
    tiers = _tiers(_gallery(_lookalike(0.3) + _genuine()), neighbours=0)

    assert tiers.sure.tolist() == [True] + [False] * 5 + [False] + [True] * 5
    assert tiers.maybe.tolist() == [True] * 12


def test_a_confident_match_brings_the_other_faces_of_its_person():
    faces = [_axis(1, 0.3), _axis(2, 0.64), _axis(3, 0.66)]
    tiers = _tiers(_gallery(faces, persons=[7, 7, 7]))

    assert tiers.sure.tolist() == [True, True, False]


def test_an_empty_gallery_has_no_match():
    known = GalleryDescriptors(1, 0, *(np.empty(0, np.int64),) * 3, np.empty((0, 128), np.float32))

    tiers = _tiers(known)

    assert len(tiers.sure) == 0 and len(tiers.maybe) == 0


def test_only_the_nearest_undecided_faces_get_their_neighbourhood_looked_at(monkeypatch):
    monkeypatch.setattr("faces.search._MOST_NEIGHBOURHOODS", 1)
    # The lookalike's face (0.5) is the nearest; its neighbours (0.583) are judged
    # on their own distance, and are "maybe you" like any face at 0.583.
    tiers = _tiers(_gallery(_lookalike(0.3)))

    assert not tiers.sure.any()
    assert tiers.maybe.all()


def test_a_faces_neighbourhood_is_found_once_per_snapshot_of_the_gallery(monkeypatch):
    import faces.search

    known = _gallery(_lookalike(0.3))
    passes = []
    squared_distances = faces.search._squared_distances
    monkeypatch.setattr(
        faces.search, "_squared_distances", lambda k, rows: passes.append(len(rows)) or squared_distances(k, rows)
    )

    first, second = _tiers(known), _tiers(known)

    assert passes == [6]
    assert first.sure.tolist() == second.sure.tolist() and first.maybe.tolist() == second.maybe.tolist()


# With a margin: the selfie is one person (FACE_MATCH_MARGIN).


def _person_near(axis: int, distance: float, spread: float, first_extra_axis: int) -> list[np.ndarray]:
    """A face `distance` from the selfie and five more `spread` from it, on axes of their own."""
    face = _axis(axis, distance)
    return [face] + [face + _axis(first_extra_axis + j, spread) for j in range(5)]


def test_with_a_margin_a_lookalike_whose_neighbourhood_is_farther_than_the_selfies_is_only_maybe_you():
    you = _person_near(1, 0.3, 0.265, 20)  # 0.3, and five at 0.40: confident
    lookalike = _person_near(2, 0.5, 0.2, 40)  # 0.5, and five at 0.539: each other's neighbourhood
    known = _gallery(you + lookalike)

    without = _tiers(known)
    tiers = match_tiers(known, SELFIE, neighbours=5, margin=0.12, **THRESHOLDS)

    assert without.sure.all()  # every neighbourhood is within 0.55
    assert tiers.sure.tolist() == [True] * 6 + [False] * 6
    assert tiers.maybe.all()


def test_with_a_margin_a_face_within_the_confident_distance_stays_you():
    you = _person_near(1, 0.3, 0.265, 20)
    lookalike = _person_near(2, 0.44, 0.46, 40)  # 0.44, and its neighbourhood at 0.637
    tiers = match_tiers(_gallery(you + lookalike), SELFIE, neighbours=5, margin=0.12, **THRESHOLDS)

    assert tiers.sure[:7].all() and not tiers.sure[7:].any()


def test_with_a_margin_faces_close_to_a_face_that_is_you_are_you():
    anchor = _axis(1, 0.44)  # confident
    far_view = anchor + _axis(3, 0.4)  # 0.595 from the selfie, 0.4 from the anchor
    others = [anchor + _axis(3, 0.2) + _axis(50 + j, 0.3) for j in range(4)]  # 0.569, 0.36 from both
    known = _gallery([anchor, far_view, *others])

    without = _tiers(known)
    tiers = match_tiers(known, SELFIE, neighbours=5, margin=0.12, **THRESHOLDS)

    assert tiers.distances[1] == pytest.approx(0.595, abs=1e-3)
    assert without.sure.tolist() == [True] + [False] * 5 and without.maybe.all()
    assert tiers.sure.all()


def test_with_a_margin_a_face_a_little_beyond_the_maybe_distance_with_a_near_neighbourhood_is_maybe_you():
    beyond = _person_near(4, 0.63, 0.1, 60)
    beyond[1:] = [_axis(4, 0.5) + _axis(60 + j, 0.1) for j in range(5)]  # five at 0.51, 0.164 from it
    known = _gallery(beyond + _lookalike(0.45))

    without = _tiers(known)
    tiers = match_tiers(known, SELFIE, neighbours=5, margin=0.12, **THRESHOLDS)

    assert not without.maybe[0]
    assert tiers.maybe[0] and not tiers.sure[0]
    assert tiers.sure[1:6].all()
    # A face as far without such a neighbourhood stays out.
    lone = match_tiers(_gallery([_axis(5, 0.63)]), SELFIE, neighbours=5, margin=0.12, **THRESHOLDS)
    assert not lone.maybe.any()
