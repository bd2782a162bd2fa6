"""Prototypes of ways to make Find me tell lookalikes apart, measured offline.

`evaluate_faces` runs the whole pipeline (upload, derivatives, indexing, search) and
takes minutes per set; trying a search rule should take seconds. So this script
describes each labelled set once, with the local engine as indexing and Find me run it
(the original upright at full size for gallery photos, the selfie at 2048 px), and
caches under ../cache/find-me/ (or $FIND_ME_CACHE): every gallery face's descriptor, box, landmarks and 150 px
chip, and each selfie's. It then replays the shipped search (person grouping in
upload order, "you" and "maybe you" as faces/services/search.py decides them, the best face
per photo) and the directions below on those descriptors.

    .venv/bin/python bench/find_me_directions.py            # every set, every direction
    .venv/bin/python bench/find_me_directions.py --sets lfw-dev --only baseline,calibration
    .venv/bin/python bench/find_me_directions.py --sets lfw-dev --only margin --split 0 --split 1

The replay of the old rule agrees with `evaluate_faces`: the same figures on dev and
the event sets, one photo apart on lfw-dev (bench/README.md).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import common
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Descriptors of the sets, kept outside the repository: describing them takes minutes.
OUT = Path(os.environ.get("FIND_ME_CACHE", ROOT.parent / "cache" / "find-me"))
sys.path.insert(0, str(ROOT))


def _django():
    common.django_setup()


# --- The sets, described once -------------------------------------------------------


def _labels(folder: Path) -> dict[str, list[str]]:
    with (folder / "labels.csv").open(newline="") as fh:
        return {r["file"]: [p.strip() for p in r["people"].split(";") if p.strip()] for r in csv.DictReader(fh)}


def labelled_sets(shared: Path, tmp: Path) -> dict[str, tuple[Path, Path | None]]:
    """name -> (gallery folder, selfie folder or None for leave-one-out)."""
    sets = {"dev": (shared / "dev", None), "lfw-dev": (shared / "lfw-dev", None)}
    for seed in (1, 2):
        out = tmp / f"event-seed{seed}"
        if not (out / "selfies" / "labels.csv").is_file():
            subprocess.run(
                [sys.executable, str(shared / "make_event_set.py"), str(shared / "dev"), str(out), "--seed", str(seed)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        sets[f"event seed {seed}"] = (out / "gallery", out / "selfies")
    return sets


def _chip(rgb: np.ndarray, box, landmarks) -> np.ndarray:
    import dlib

    rect = dlib.rectangle(box.left, box.top, box.left + box.width - 1, box.top + box.height - 1)
    shape = dlib.full_object_detection(rect, [dlib.point(round(x), round(y)) for x, y in landmarks])
    return dlib.get_face_chip(rgb, shape, size=150, padding=0.25)


def describe_set(name: str, gallery_dir: Path, selfie_dir: Path | None) -> Path:
    cache = OUT / f"{name.replace(' ', '-')}.npz"
    if cache.is_file():
        return cache
    _django()
    from faces.engines.local import describe_largest_face, find_faces
    from faces.services.search import SELFIE_LONG_EDGE
    from galleries.imaging import open_upright_rgb

    labels = _labels(gallery_dir)
    files = list(labels)
    rows = {k: [] for k in ("photo", "descriptor", "box", "landmarks", "score", "chip", "image_size")}
    for index, file in enumerate(files):
        with (gallery_dir / file).open("rb") as fh:
            image = open_upright_rgb(fh)
        rgb = np.asarray(image)
        for face in find_faces(image):
            rows["photo"].append(index)
            rows["descriptor"].append(face.descriptor)
            rows["box"].append((face.box.left, face.box.top, face.box.width, face.box.height))
            rows["landmarks"].append(face.landmarks)
            rows["score"].append(face.score)
            rows["chip"].append(_chip(rgb, face.box, face.landmarks))
            rows["image_size"].append(image.size)
        print(f"{name}: {index + 1}/{len(files)}", end="\r", file=sys.stderr)
    if selfie_dir is None:
        queries = [(f, people[0], i) for i, (f, people) in enumerate(labels.items()) if len(people) == 1]
        query_dir = gallery_dir
    else:
        queries = [(f, people[0], -1) for f, people in _labels(selfie_dir).items() if len(people) == 1]
        query_dir = selfie_dir
    q = {k: [] for k in ("file", "person", "own", "descriptor", "box", "landmarks", "chip", "image_size", "faces")}
    for file, person, own in queries:
        with (query_dir / file).open("rb") as fh:
            image = open_upright_rgb(fh, long_edge=SELFIE_LONG_EDGE)
        face, sizes = describe_largest_face(image)
        q["file"].append(file)
        q["person"].append(person)
        q["own"].append(own)
        q["faces"].append(len(sizes))
        if face is None:
            q["descriptor"].append(np.full(128, np.nan, np.float32))
            q["box"].append((0, 0, 0, 0))
            q["landmarks"].append([(0.0, 0.0)] * 5)
            q["chip"].append(np.zeros((150, 150, 3), np.uint8))
        else:
            q["descriptor"].append(face.descriptor)
            q["box"].append((face.box.left, face.box.top, face.box.width, face.box.height))
            q["landmarks"].append(face.landmarks)
            q["chip"].append(_chip(np.asarray(image), face.box, face.landmarks))
        q["image_size"].append(image.size)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        cache,
        files=np.array(files),
        photo_people=np.array([";".join(labels[f]) for f in files]),
        **{f"g_{k}": np.array(v) for k, v in rows.items()},
        **{f"q_{k}": np.array(v) for k, v in q.items()},
    )
    print(f"{name}: {len(rows['photo'])} faces, {len(q['file'])} selfies cached in {cache}", file=sys.stderr)
    return cache


@dataclass
class LabelledSet:
    name: str
    files: np.ndarray
    photo_people: list[set[str]]
    g: dict[str, np.ndarray]
    q: dict[str, np.ndarray]


def load_set(name: str, cache: Path) -> LabelledSet:
    data = np.load(cache)
    return LabelledSet(
        name=name,
        files=data["files"],
        photo_people=[set(p.split(";")) - {""} for p in data["photo_people"]],
        g={k[2:]: data[k] for k in data.files if k.startswith("g_")},
        q={k[2:]: data[k] for k in data.files if k.startswith("q_")},
    )


# --- The shipped search, replayed ---------------------------------------------------

DEFAULTS = {"match": 0.55, "maybe": 0.6, "confident": 0.45, "person": 0.4, "person_max": 0.65}


def pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0))


def group_persons(s: LabelledSet, person_distance: float) -> np.ndarray:
    """faces.services.indexing._assign_persons, photo after photo in upload order."""
    photo, d = s.g["photo"], pairwise(s.g["descriptor"], s.g["descriptor"])
    persons = np.full(len(photo), -1)
    next_person = 1
    for p in np.unique(photo):
        new = np.flatnonzero(photo == p)
        known = np.flatnonzero((persons >= 0) & (photo != p))
        claims = []
        for i in new:
            if len(known):
                j = known[np.argmin(d[i, known])]
                if d[i, j] <= person_distance:
                    claims.append((d[i, j], i, persons[j]))
        taken = set()
        for _, i, person in sorted(claims):
            if person not in taken:
                persons[i] = person
                taken.add(person)
        for i in new:
            if persons[i] < 0:
                persons[i] = next_person
                next_person += 1
    return persons


@dataclass
class Decision:
    """Per selfie, per gallery face: "you" and "maybe you" (maybe includes you)."""

    sure: np.ndarray  # (queries, faces) bool
    any: np.ndarray


def shipped(s: LabelledSet, d: np.ndarray, persons: np.ndarray, t: dict = DEFAULTS) -> Decision:
    sure = d <= t["match"]
    for qi in range(len(d)):
        confident = np.unique(persons[(d[qi] <= t["confident"]) & (persons >= 0)])
        if len(confident):
            sure[qi] |= np.isin(persons, confident) & (d[qi] <= t["person_max"])
    return Decision(sure=sure, any=sure | (d <= t["maybe"]))


def score(s: LabelledSet, decision: Decision) -> dict:
    """evaluate_faces' figures: micro-averaged over selfies, per photo, own photo left out."""
    photo = s.g["photo"]
    n_photos = len(s.files)
    figures = {}
    confusions = []
    for tier, chosen in (("you", decision.sure), ("any", decision.any)):
        right = hits = relevant_total = 0
        for qi in range(len(s.q["file"])):
            person, own = s.q["person"][qi], s.q["own"][qi]
            relevant = {p for p in range(n_photos) if person in s.photo_people[p]} - {own}
            found = set(photo[chosen[qi]].tolist()) - {own}
            right += len(found & relevant)
            hits += len(found)
            relevant_total += len(relevant)
            if tier == "you":
                confusions += [(s.q["file"][qi], person, ";".join(s.photo_people[p])) for p in found - relevant]
        figures[tier] = (right / hits if hits else 1.0, right / relevant_total if relevant_total else 1.0)
    figures["confusions"] = confusions
    return figures


def query_distances(s: LabelledSet, descriptors: np.ndarray | None = None, *, centre: bool = True) -> np.ndarray:
    chosen, refused = selfie_faces(s, centre=centre)
    q = chosen if descriptors is None else descriptors
    d = pairwise(np.nan_to_num(q, nan=10.0), s.g["descriptor"])
    d[np.isnan(s.q["descriptor"]).any(1) | refused] = np.inf
    return d


def selfie_faces(s: LabelledSet, *, centre: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The descriptor each selfie is searched with, and the selfies Find me refuses, as
    faces.engines.base.selfie_face_index decides: the largest face, unless another is at
    least half its area; then the one of those that holds the image's centre, if only one
    does (`centre`; without it, refused). The faces come from those indexed in the
    selfie's own photo (the same image, described the same way)."""
    descriptors = s.q["descriptor"].copy()
    refused = np.zeros(len(s.q["file"]), bool)
    for qi, own in enumerate(s.q["own"]):
        if s.q["faces"][qi] <= 1 or own < 0:
            continue
        faces = np.flatnonzero(s.g["photo"] == own)
        boxes = s.g["box"][faces].astype(float)
        areas = boxes[:, 2] * boxes[:, 3]
        contenders = faces[areas >= 0.5 * areas.max()]
        if len(contenders) < 2:
            continue
        if centre:
            width, height = s.g["image_size"][contenders[0]]
            left, top, w, h = s.g["box"][contenders].astype(float).T
            middle_x, middle_y = width / 2, height / 2
            holding = contenders[
                (left <= middle_x) & (middle_x <= left + w) & (top <= middle_y) & (middle_y <= top + h)
            ]
            if len(holding) == 1:
                descriptors[qi] = s.g["descriptor"][holding[0]]
                continue
        refused[qi] = True
    return descriptors, refused


def line(name: str, figures: dict) -> str:
    (p, r), (pa, ra) = figures["you"], figures["any"]
    return f"  {name:<58} you {p:.3f} / {r:.3f}   +maybe {pa:.3f} / {ra:.3f}"


# --- The directions -----------------------------------------------------------------


def direction_baseline(s, d, persons):
    yield "shipped defaults", shipped(s, d, persons)
    yield "plain nearest, match 0.5 / maybe 0.6, no grouping", Decision(d <= 0.5, d <= 0.6)
    yield "plain nearest, match 0.55 / maybe 0.6, no grouping", Decision(d <= 0.55, d <= 0.6)


def direction_calibration(s, d, persons):
    """(a) Faces of one photo are different people: their distances are the gallery's
    impostor distances. The match threshold comes down to a low quantile of them; and
    per selfie, its distances to the whole gallery (mostly impostors) normalise it."""
    gd = pairwise(s.g["descriptor"], s.g["descriptor"])
    same_photo = (s.g["photo"][:, None] == s.g["photo"][None, :]) & ~np.eye(len(gd), dtype=bool)
    impostors = gd[same_photo]
    yield (
        f"(impostor pairs in the same photo: {len(impostors) // 2}, "
        f"min {impostors.min() if len(impostors) else float('nan'):.3f})",
        None,
    )
    for q in (0.01, 0.05):
        if len(impostors):
            cut = min(DEFAULTS["match"], float(np.quantile(impostors, q)) - 0.05)
            yield (
                f"match = min(0.55, impostor q{q} - 0.05) = {cut:.3f}",
                shipped(s, d, persons, {**DEFAULTS, "match": cut}),
            )
    # Per selfie: z-score against its own impostor distribution (all gallery faces but the nearest few).
    sorted_d = np.sort(d, axis=1)
    for z_you, z_maybe in ((-4.0, -3.5), (-4.5, -3.5), (-5.0, -4.0)):
        body = sorted_d[:, 10:]
        mu, sd = body.mean(1, keepdims=True), body.std(1, keepdims=True)
        z = (d - mu) / sd
        sure = (z <= z_you) & (d <= 0.6)
        yield (
            f"selfie z-norm: you z<={z_you} (and d<=0.6), maybe z<={z_maybe}",
            Decision(sure, sure | ((z <= z_maybe) & (d <= 0.65))),
        )


def _chinese_whispers(descriptors: np.ndarray, threshold: float) -> np.ndarray:
    import dlib

    vectors = [dlib.vector(v.astype(float).tolist()) for v in descriptors]
    return np.array(dlib.chinese_whispers_clustering(vectors, threshold))


def direction_clustering(s, d, persons):
    """(b) People as clusters of the gallery's faces: the selfie's person is a cluster it
    matches confidently; its faces are "you" up to person_max (transitive recall), and
    a face whose cluster is on the whole far from the selfie is a lookalike ("maybe")."""
    for threshold in (0.45, 0.5):
        labels = _chinese_whispers(s.g["descriptor"], threshold)
        yield f"chinese whispers {threshold} as the persons", shipped(s, d, labels)
    labels = _chinese_whispers(s.g["descriptor"], 0.5)
    for cap in (0.5, 0.52, 0.55):
        sure, any_ = np.zeros_like(d, bool), d <= DEFAULTS["maybe"]
        for qi in range(len(d)):
            near = np.flatnonzero(d[qi] <= DEFAULTS["maybe"])
            for label in np.unique(labels[near]):
                members = labels == label
                mean = float(np.median(d[qi, members]))
                if mean <= cap:
                    sure[qi] |= members & (d[qi] <= DEFAULTS["person_max"])
        yield f"cluster (cw 0.5) median distance <= {cap} -> you", Decision(sure, sure | any_)
    # Shipped grouping, but "you" through the person only: the person's median distance decides.
    for cap in (0.5, 0.52):
        sure = np.zeros_like(d, bool)
        for qi in range(len(d)):
            for person in np.unique(persons[d[qi] <= DEFAULTS["maybe"]]):
                members = persons == person
                if float(np.median(d[qi, members])) <= cap:
                    sure[qi] |= members & (d[qi] <= DEFAULTS["person_max"])
        sure |= d <= 0.45
        yield f"shipped persons, person median <= {cap} -> you (and d<=0.45)", Decision(sure, sure | (d <= 0.6))


def direction_reciprocal(s, d, persons):
    """(c) k-reciprocal: a face within the threshold is "you" only if the selfie is also
    among that face's k nearest (the gallery's faces and the selfie)."""
    gd = pairwise(s.g["descriptor"], s.g["descriptor"])
    np.fill_diagonal(gd, np.inf)
    same_photo = s.g["photo"][:, None] == s.g["photo"][None, :]
    gd[same_photo] = np.inf
    base = shipped(s, d, persons)
    for k in (3, 5, 8, 12):
        kth = np.sort(gd, axis=1)[:, k - 1]  # the face's k-th nearest other face
        own = s.g["photo"][None, :] == s.q["own"][:, None]
        reciprocal = d < kth[None, :]
        # the selfie's own photo would count among the face's neighbours in leave-one-out
        reciprocal |= own
        sure = base.sure & (reciprocal | (d <= 0.45))
        yield f"k-reciprocal k={k} (d<=0.45 always you)", Decision(sure, base.any)


def _describe_chips(chips: list[np.ndarray]) -> np.ndarray:
    from faces.engines.local.models import loaded_models

    return np.array(loaded_models().descriptor_net.describe(chips))


def _jitters(chip: np.ndarray, n: int, rng) -> list[np.ndarray]:
    from PIL import Image

    out = []
    image = Image.fromarray(chip)
    for _ in range(n):
        angle, scale = rng.uniform(-6, 6), rng.uniform(0.95, 1.05)
        dx, dy = rng.uniform(-3, 3, 2)
        jittered = image.rotate(angle, resample=Image.Resampling.BILINEAR, translate=(dx, dy))
        w = round(150 * scale)
        jittered = jittered.resize((w, w), Image.Resampling.BILINEAR)
        left = (w - 150) // 2
        jittered = jittered.crop((left, left, left + 150, left + 150))
        out.append(np.asarray(jittered if rng.random() < 0.5 else jittered.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return out


def direction_selfie_views(s, d, persons):
    """(d) The selfie described more than once (mirrored, jittered) and averaged."""
    ok = ~np.isnan(s.q["descriptor"]).any(1)
    chips = s.q["chip"]
    mirrored = _describe_chips([c[:, ::-1].copy() for c in chips])
    averaged = np.where(ok[:, None], (s.q["descriptor"] + mirrored) / 2, np.nan)
    yield "selfie + mirrored, averaged", shipped(s, query_distances(s, averaged), persons)
    rng = np.random.default_rng(0)
    jittered = np.array([_describe_chips(_jitters(c, 6, rng)).mean(0) for c in chips])
    averaged = np.where(ok[:, None], (s.q["descriptor"] + jittered * 6) / 7, np.nan)
    yield "selfie + 6 jitters (incl. mirror), averaged", shipped(s, query_distances(s, averaged), persons)
    # Both sides: gallery faces also averaged with their mirror (indexing cost x2).
    g_mirrored = _describe_chips([c[:, ::-1].copy() for c in s.g["chip"]])
    g = (s.g["descriptor"] + g_mirrored) / 2
    q = np.where(ok[:, None], (s.q["descriptor"] + mirrored) / 2, 10.0)
    d2 = pairwise(q, g)
    d2[~ok] = np.inf
    mirrored_set = LabelledSet(s.name, s.files, s.photo_people, {**s.g, "descriptor": g}, s.q)
    yield "selfie and gallery faces + mirrored", shipped(s, d2, group_persons(mirrored_set, DEFAULTS["person"]))


def _quality(chips: np.ndarray, boxes: np.ndarray, landmarks: np.ndarray) -> dict[str, np.ndarray]:
    gray = chips.astype(np.float32).mean(axis=3)
    lap = gray[:, 1:-1, 1:-1] * 4 - gray[:, :-2, 1:-1] - gray[:, 2:, 1:-1] - gray[:, 1:-1, :-2] - gray[:, 1:-1, 2:]
    # 5-point model: 0,1 one eye's corners, 2,3 the other's, 4 the nose.
    eye_a, eye_b, nose = landmarks[:, 0:2].mean(1), landmarks[:, 2:4].mean(1), landmarks[:, 4]
    eyes = np.linalg.norm(eye_a - eye_b, axis=1)
    middle = (eye_a + eye_b) / 2
    yaw = np.abs(np.cross(eye_b - eye_a, nose - middle)) / np.maximum(eyes, 1e-6) ** 2  # sideways offset of the nose
    offset = np.abs(np.linalg.norm(nose - eye_a, axis=1) - np.linalg.norm(nose - eye_b, axis=1)) / np.maximum(
        eyes, 1e-6
    )
    return {"size": boxes[:, 3].astype(float), "sharpness": lap.var(axis=(1, 2)), "yaw": offset, "pitch": yaw}


def direction_quality(s, d, persons):
    """(e) Quality gates: a weak "you" (above 0.45) to a small, blurred or turned face
    goes to "maybe you"."""
    base = shipped(s, d, persons)
    quality = _quality(s.g["chip"], s.g["box"], s.g["landmarks"])
    for name, values, worse_below in (
        ("size", quality["size"], True),
        ("sharpness", quality["sharpness"], True),
        ("yaw", quality["yaw"], False),
    ):
        for q in (0.1, 0.25):
            cut = np.quantile(values, q if worse_below else 1 - q)
            weak_face = values < cut if worse_below else values > cut
            sure = base.sure & ~(weak_face[None, :] & (d > 0.45))
            yield f"gate {name} ({'<' if worse_below else '>'} {cut:.3g}, worst {q:.0%})", Decision(sure, base.any)


def neighbourhood_tiers(s, d, persons, neighbours: int, t: dict = DEFAULTS, margin: float = 0.0) -> Decision:
    """The shipped faces.search.match_tiers, selfie by selfie."""
    _django()
    from faces.search import GalleryDescriptors, match_tiers

    known = GalleryDescriptors(
        gallery_id=0,
        revision=0,
        face_ids=np.arange(len(persons)),
        photo_ids=s.g["photo"].astype(np.int64),
        persons=persons.astype(np.int64),
        descriptors=s.g["descriptor"].astype(np.float32),
    )
    sure, any_ = np.zeros_like(d, bool), np.zeros_like(d, bool)
    for qi in range(len(d)):
        if np.isinf(d[qi]).all():
            continue
        tiers = match_tiers(
            known,
            s.q["descriptor"][qi].astype(np.float32),
            match_distance=t["match"],
            maybe_distance=t["maybe"],
            confident_distance=t["confident"],
            person_max_distance=t["person_max"],
            neighbours=neighbours,
            margin=margin,
        )
        sure[qi], any_[qi] = tiers.sure, tiers.maybe
    return Decision(sure, any_)


def direction_neighbourhood(s, d, persons):
    """The selfie's distance to the face's own nearest faces, not to the face alone
    (faces.search.match_tiers, shipped with FACE_MATCH_NEIGHBOURS=5)."""
    for k in (0, 3, 5, 8, 12):
        yield f"neighbourhood of {k} faces (0: the old rule)", neighbourhood_tiers(s, d, persons, k)


def direction_margin(s, d, persons):
    """The selfie is one person: a "you" whose neighbourhood is more than a margin farther
    than the nearest "you" face's drops to "maybe you", faces within the confident distance
    of a "you" become "you", and faces up to 0.65 with a neighbourhood within 0.55 "maybe
    you" (faces.search.match_tiers, shipped with FACE_MATCH_MARGIN=0.12)."""
    for margin in (0.0, 0.1, 0.12, 0.15, 0.18, 0.2):
        yield (
            f"neighbourhood of 5, margin {margin} (0: the rule before)",
            neighbourhood_tiers(s, d, persons, 5, margin=margin),
        )


def direction_selfie_centre(s, d, persons):
    """A selfie with two faces of about the same size: refused (before), or searched
    with the one that holds the image's centre (shipped)."""
    largest_only = query_distances(s, centre=False)
    yield "equal faces refused, margin 0.12", neighbourhood_tiers(s, largest_only, persons, 5, margin=0.12)
    yield "equal faces: the one at the centre, margin 0.12", neighbourhood_tiers(s, d, persons, 5, margin=0.12)


DIRECTIONS = {
    "baseline": direction_baseline,
    "calibration": direction_calibration,
    "clustering": direction_clustering,
    "reciprocal": direction_reciprocal,
    "selfie_views": direction_selfie_views,
    "quality": direction_quality,
    "neighbourhood": direction_neighbourhood,
    "margin": direction_margin,
    "selfie_centre": direction_selfie_centre,
}


def people_halves(s: LabelledSet, seed: int) -> list[LabelledSet]:
    """The set cut in two by people (a random half each, from the seed): each half keeps
    the photos whose people are all its own, and their selfies. Rules tuned on one half
    are then judged on the other, whose people they have never seen."""
    people = sorted({p for photo in s.photo_people for p in photo})
    order = np.random.default_rng(seed).permutation(people)
    halves = []
    for name, own in (("A", set(order[: len(people) // 2])), ("B", set(order[len(people) // 2 :]))):
        photos = [p for p in range(len(s.files)) if s.photo_people[p] and s.photo_people[p] <= own]
        index = {p: i for i, p in enumerate(photos)}
        faces = np.isin(s.g["photo"], photos)
        g = {k: v[faces] for k, v in s.g.items()}
        g["photo"] = np.array([index[p] for p in g["photo"]])
        selfies = np.array([own_photo in index for own_photo in s.q["own"]])
        q = {k: v[selfies] for k, v in s.q.items()}
        q["own"] = np.array([index[p] for p in q["own"]])
        halves.append(
            LabelledSet(
                f"{s.name} half {name} (seed {seed})", s.files[photos], [s.photo_people[p] for p in photos], g, q
            )
        )
    return halves


def run_directions(sets: list[LabelledSet], only: list[str]) -> None:
    for s in sets:
        d = query_distances(s)
        persons = group_persons(s, DEFAULTS["person"])
        print(f"{s.name}: {len(s.q['file'])} selfies, {len(s.files)} photos, {len(s.g['photo'])} faces")
        for name, direction in DIRECTIONS.items():
            if only and name not in only:
                continue
            for label, decision in direction(s, d, persons):
                print(line(label, score(s, decision)) if decision is not None else f"  {label}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--sets", default="dev,lfw-dev,event seed 1,event seed 2")
    parser.add_argument("--only", default="")
    parser.add_argument("--split", type=int, action="append", default=[], help="also each half of people (seed)")
    args = parser.parse_args()
    tmp = Path(tempfile.gettempdir()) / "find-me-directions"
    sets = labelled_sets(args.shared, tmp)
    wanted = [s.strip() for s in args.sets.split(",")]
    loaded = [load_set(name, describe_set(name, *sets[name])) for name in wanted]
    loaded += [half for seed in args.split for s in loaded if s.name == "lfw-dev" for half in people_halves(s, seed)]
    run_directions(loaded, only=[d for d in args.only.split(",") if d])
    return 0


if __name__ == "__main__":
    sys.exit(main())
