"""Time and recall of face indexing: the local engine (faces.engines.local.find_faces)
against the face_recognition library's documented usage, on 24-megapixel group shots.

    .venv/bin/python bench/face_indexing.py [--photos 4] [--throughput-photos 8]

A dev tool, not a test: it reads the labelled photos in ../shared/faces (beside the
repository, not part of it) and builds the event set from them into /tmp/eventset with
../shared/faces/make_event_set.py when that is missing. It stops with a clear message
when ../shared/faces is not there.

The baseline needs face_recognition, installed without its dependencies (its own
dlib would compile for many minutes; dlib-bin provides the module):

    .venv/bin/pip install --no-deps face_recognition==1.3.0

Per photo, on one core, the two run back to back (who goes first alternates):
  baseline  load_image_file, face_locations(number_of_times_to_upsample=1), face_encodings
  ours      Image.open + load, find_faces
Then two workers, each pinned to a core of its own, index photos with find_faces to
give photos per minute. Exits 1 when ours is less than 5x faster or finds fewer.
"""

from __future__ import annotations

import os

# One BLAS thread per process: the workers are pinned to one core each, and OpenBLAS
# would otherwise start a thread per core in each of them. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import csv
import multiprocessing
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

SHARED_FACES = PROJECT_ROOT.parent / "shared" / "faces"
SPEEDUP_TARGET = 5.0
SAME_FACE_IOU = 0.3


@dataclass(frozen=True)
class Result:
    seconds: float
    boxes: list[tuple[float, float, float, float]]  # left, top, right, bottom
    descriptors: list[np.ndarray]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=4, help="group shots timed on one core (default 4)")
    parser.add_argument("--throughput-photos", type=int, default=8, help="shots indexed by the two workers")
    parser.add_argument("--event-set", type=Path, default=Path("/tmp/eventset"))
    parser.add_argument(
        "--shared", type=Path, default=SHARED_FACES, help="the labelled photos (default ../shared/faces)"
    )
    args = parser.parse_args()

    gallery = ensure_event_set(args.event_set, args.shared)
    labels = read_labels(gallery / "labels.csv")
    shots = sorted(labels)[: max(args.photos, args.throughput_photos)]

    core = pin_to_one_core()
    print(f"{core}; OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    try:
        import face_recognition  # loads its models at import
    except ImportError:
        sys.exit("The baseline needs face_recognition: .venv/bin/pip install --no-deps face_recognition==1.3.0")

    from faces.engines.local.models import loaded_models

    loaded_models()  # loaded once per process, outside the timings
    references = reference_descriptors(args.shared / "dev")
    print(f"references for {len(references)} people from single-person photos in {args.shared / 'dev'}")

    baseline_results: dict[str, Result] = {}
    our_results: dict[str, Result] = {}
    for i, name in enumerate(shots[: args.photos]):
        path = gallery / name
        runs = [("baseline", run_baseline), ("ours", run_ours)]
        for label, run in runs if i % 2 == 0 else runs[::-1]:
            result = run(path, face_recognition) if label == "baseline" else run(path)
            (baseline_results if label == "baseline" else our_results)[name] = result
        b, o = baseline_results[name], our_results[name]
        print(
            f"{name}: baseline {b.seconds:5.2f} s, {len(b.boxes):2d} faces | "
            f"ours {o.seconds:5.2f} s, {len(o.boxes):2d} faces | {b.seconds / o.seconds:4.1f}x"
        )

    report = summarize(shots[: args.photos], labels, references, baseline_results, our_results)
    per_minute = throughput([gallery / name for name in shots[: args.throughput_photos]])
    print(f"two workers, one core each: {per_minute:.1f} photos/min ({args.throughput_photos} photos)")
    ok = report["speedup"] >= SPEEDUP_TARGET and report["ours_recall"] >= report["baseline_recall"]
    print("target met" if ok else f"TARGET MISSED (>= {SPEEDUP_TARGET}x faster at >= the baseline's recall)")
    return 0 if ok else 1


def ensure_event_set(out: Path, shared: Path) -> Path:
    gallery = out / "gallery"
    if (gallery / "labels.csv").exists():
        return gallery
    maker, labelled = shared / "make_event_set.py", shared / "dev"
    if not maker.exists() or not (labelled / "labels.csv").exists():
        sys.exit(
            f"No event set in {out}, and no labelled photos to build it from: this benchmark needs "
            f"{maker} and {labelled}/labels.csv (the shared folder beside the repository)."
        )
    print(f"building the event set into {out} with {maker}")
    subprocess.run([sys.executable, str(maker), str(labelled), str(out)], check=True)
    return gallery


def read_labels(path: Path) -> dict[str, set[str]]:
    with path.open(newline="") as fh:
        return {row["file"]: set(filter(None, row["people"].split(";"))) for row in csv.DictReader(fh)}


def pin_to_one_core(index: int = 0) -> str:
    cores = sorted(os.sched_getaffinity(0))
    core = cores[index % len(cores)]
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def run_baseline(path: Path, face_recognition) -> Result:
    start = time.perf_counter()
    image = face_recognition.load_image_file(str(path))
    locations = face_recognition.face_locations(image, number_of_times_to_upsample=1)
    encodings = face_recognition.face_encodings(image, locations)
    seconds = time.perf_counter() - start
    boxes = [(left, top, right, bottom) for top, right, bottom, left in locations]
    return Result(seconds, boxes, [np.asarray(e, np.float32) for e in encodings])


def run_ours(path: Path) -> Result:
    from PIL import Image

    from faces.engines.local import find_faces

    start = time.perf_counter()
    # No draft(): small faces need every pixel, for finding them and for describing them.
    with Image.open(path) as image:
        image.load()
        faces = find_faces(image)
    seconds = time.perf_counter() - start
    boxes = [(f.box.left, f.box.top, f.box.left + f.box.width, f.box.top + f.box.height) for f in faces]
    return Result(seconds, boxes, [f.descriptor for f in faces])


def reference_descriptors(labelled: Path) -> dict[str, list[np.ndarray]]:
    """Each person's descriptors from the photos that show only them (several per person)."""
    from PIL import Image

    from faces.engines.local import describe_largest_face

    references: dict[str, list[np.ndarray]] = {}
    for name, people in read_labels(labelled / "labels.csv").items():
        if len(people) != 1:
            continue
        with Image.open(labelled / name) as image:
            face, _ = describe_largest_face(image)
        if face is not None:
            references.setdefault(next(iter(people)), []).append(face.descriptor)
    return references


def people_found(descriptors: list[np.ndarray], references: dict[str, list[np.ndarray]]) -> set[str]:
    """Who the faces are: each face counts for the nearest reference person within 0.6."""
    from faces.search import MATCH_DISTANCE, distance

    found = set()
    for descriptor in descriptors:
        person, nearest = min(
            ((p, min(distance(descriptor, r) for r in refs)) for p, refs in references.items()),
            key=lambda pair: pair[1],
        )
        if nearest < MATCH_DISTANCE:
            found.add(person)
    return found


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    return overlap / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap)


def summarize(shots, labels, references, baseline_results, our_results) -> dict[str, float]:
    baseline_s = [baseline_results[s].seconds for s in shots]
    our_s = [our_results[s].seconds for s in shots]
    speedup = statistics.mean(baseline_s) / statistics.mean(our_s)

    # Recall 1: the labelled people of each shot whose face was found and recognised.
    # People with no single-person photo to take a reference from are left out.
    labelled = people_in = 0
    hits = {"baseline": 0, "ours": 0}
    for shot in shots:
        wanted = labels[shot] & references.keys()
        labelled += len(wanted)
        people_in += len(labels[shot] - references.keys())
        hits["baseline"] += len(people_found(baseline_results[shot].descriptors, references) & wanted)
        hits["ours"] += len(people_found(our_results[shot].descriptors, references) & wanted)

    # Recall 2: every face that either method found (the union, one box per face at
    # IoU >= 0.3) is taken as a true face; each method's share of them.
    union_total = 0
    union_hits = {"baseline": 0, "ours": 0}
    missed = {"baseline": [], "ours": []}
    for shot in shots:
        union: list[tuple[float, ...]] = []
        for box in baseline_results[shot].boxes + our_results[shot].boxes:
            if all(iou(box, other) < SAME_FACE_IOU for other in union):
                union.append(box)
        union_total += len(union)
        for method, results in (("baseline", baseline_results), ("ours", our_results)):
            for box in union:
                if any(iou(box, mine) >= SAME_FACE_IOU for mine in results[shot].boxes):
                    union_hits[method] += 1
                else:
                    missed[method].append(round(box[3] - box[1]))

    print()
    print(f"| {len(shots)} shots of 6000x4000, one core | baseline | ours |")
    print("|---|---|---|")
    print(f"| mean time per photo | {statistics.mean(baseline_s):.2f} s | {statistics.mean(our_s):.2f} s |")
    print(f"| min / max | {min(baseline_s):.2f} / {max(baseline_s):.2f} s | {min(our_s):.2f} / {max(our_s):.2f} s |")
    print(f"| **speedup** | | **{speedup:.1f}x** |")
    print(
        f"| labelled people found (of {labelled}) | {hits['baseline']} ({hits['baseline'] / labelled:.0%}) "
        f"| {hits['ours']} ({hits['ours'] / labelled:.0%}) |"
    )
    shares = {method: f"{hits_} ({hits_ / union_total:.1%})" for method, hits_ in union_hits.items()}
    print(f"| faces found, of the {union_total} that either found | {shares['baseline']} | {shares['ours']} |")
    print(f"| heights of the faces it missed (px) | {sorted(missed['baseline'])} | {sorted(missed['ours'])} |")
    print(f"({people_in} labelled appearances of people without a single-person reference photo not counted)")
    print()
    return {
        "speedup": speedup,
        "baseline_recall": hits["baseline"] / labelled,
        "ours_recall": hits["ours"] / labelled,
    }


def throughput(paths: list[Path], workers: int = 2) -> float:
    """Photos per minute with `workers` processes, each pinned to a core of its own."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    processes = [context.Process(target=_index_photos, args=(i, paths[i::workers], ready)) for i in range(workers)]
    for process in processes:
        process.start()
    ready.wait()  # every worker has loaded the models
    start = time.perf_counter()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            sys.exit(f"a worker failed with exit code {process.exitcode}")
    return len(paths) / (time.perf_counter() - start) * 60


def _index_photos(index: int, paths: list[Path], ready) -> None:
    pin_to_one_core(index)
    from faces.engines.local.models import loaded_models

    loaded_models()
    ready.wait()
    for path in paths:
        run_ours(path)


if __name__ == "__main__":
    sys.exit(main())
