"""Face indexing with the local engine: photos per minute and faces found, against the
code at a fixed commit of main (the baseline), measured in the same run.

    .venv/bin/python bench/face_indexing.py [--rounds 2] [--photos N] [--baseline-commit SHA]

A dev tool, not a test. The event sets (24 shots of 24 MP each, seeds 1 and 2) are built
with ../shared/faces/make_event_set.py into /work/cache/eventset-SEED when missing (outside
the repository); the labelled photos of ../shared/faces/dev are indexed too, for the faces
found. It stops with a clear message when ../shared/faces is not there.

The baseline is the tree of --baseline-commit, checked out with `git worktree add` into a
temporary folder and removed after. Each version runs in worker processes of its own
(this file with --worker), with OPENBLAS_NUM_THREADS=1 and the models loaded before the
clock starts; a photo's time covers Image.open + load + find_faces, as the worker does
after reading the original.

- Throughput: two workers, each pinned to a core of its own, share the event sets' shots
  (what the two cores of the machine can do); photos per minute from the first photo
  started to the last finished. Rounds alternate before / after, and the median round
  of each counts.
- CPU: each photo's CPU time in its worker (less disturbed by other work on the machine).
- Faces: every face of either version, matched by box (IoU >= 0.3); those only one found
  are listed, with the descriptor distance between the two versions of the same face.
- Memory: the workers' peak resident set (VmHWM).

Exits 1 when the new code indexes fewer than 2x the baseline's photos per minute, or
finds a face the baseline does not or misses one it finds.

The comparison with the face_recognition library (the 5x target of 2026-11-23) is in
this file's history, at the baseline commit.
"""

from __future__ import annotations

import os

import common

# One BLAS thread per process: the workers are pinned to one core each, and OpenBLAS
# would otherwise start a thread per core in each of them. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_FACES = PROJECT_ROOT.parent / "shared" / "faces"
CACHE = Path("/work/cache")
# main before the sparse pyramid: the scan plan of 2026-11-23 (coarse scan at 18 MP).
BASELINE_COMMIT = "9f427cb423299021f0778c523807694274c9a658"
SPEEDUP_TARGET = 2.0
SAME_FACE_IOU = 0.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds per version (default 2)")
    parser.add_argument("--photos", type=int, default=0, help="shots per event set (default all 24)")
    parser.add_argument("--seeds", default="1,2", help="event sets by make_event_set.py seed (default 1,2)")
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    parser.add_argument("--shared", type=Path, default=SHARED_FACES, help="default ../shared/faces")
    parser.add_argument("--worker", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)

    shots: list[Path] = []
    for seed in args.seeds.split(","):
        gallery = ensure_event_set(CACHE / f"eventset-{seed}", args.shared, int(seed))
        shots += sorted(gallery.glob("*.jpg"))[: args.photos or None]
    dev = sorted(p for p in (args.shared / "dev").iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})

    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline"
        git = ["git", "-C", str(PROJECT_ROOT), "worktree"]
        subprocess.run(
            [*git, "add", "--detach", str(baseline), args.baseline_commit],
            check=True,
            capture_output=True,
        )
        try:
            roots = {"before": baseline, "after": PROJECT_ROOT}
            rounds: dict[str, list[dict]] = {"before": [], "after": []}
            for i in range(args.rounds):
                for version in ("before", "after") if i % 2 == 0 else ("after", "before"):
                    result = throughput(roots[version], shots, Path(folder))
                    rounds[version].append(result)
                    print(
                        f"round {i + 1} {version:6s}: {result['per_minute']:5.1f} photos/min, "
                        f"CPU {statistics.mean(result['cpu']):.2f} s/photo, peak RSS {result['peak_mb']:.0f} MB"
                    )
            dev_faces = {version: run_workers(roots[version], dev, Path(folder), cores=1)[0] for version in roots}
        finally:
            subprocess.run([*git, "remove", "--force", str(baseline)], check=False)

    return report(rounds, dev_faces, len(shots))


def ensure_event_set(out: Path, shared: Path, seed: int) -> Path:
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
    subprocess.run([sys.executable, str(maker), str(labelled), str(out), "--seed", str(seed)], check=True)
    return gallery


def throughput(root: Path, shots: list[Path], folder: Path) -> dict:
    faces, spans, peaks = run_workers(root, shots, folder, cores=2)
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return {
        "per_minute": len(shots) / (end - start) * 60,
        "cpu": [cpu for _, cpu, _ in faces.values()],
        "faces": faces,
        "peak_mb": max(peaks),
    }


def run_workers(root: Path, paths: list[Path], folder: Path, *, cores: int):
    """Index paths with `cores` worker processes of the tree at root, each pinned to a
    core of its own. Returns {path: (wall s, CPU s, faces)}, each worker's (start, end)
    and each worker's peak RSS in MB."""
    processes = []
    for core in range(cores):
        out = folder / f"worker-{core}.pickle"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root), str(core), str(out)]
        processes.append((subprocess.Popen([*command, *map(str, paths[core::cores])]), out))
    faces, spans, peaks = {}, [], []
    for process, out in processes:
        if process.wait() != 0:
            sys.exit(f"a worker of {root} failed with exit code {process.returncode}")
        result = pickle.loads(out.read_bytes())
        faces.update(result["faces"])
        spans.append((result["start"], result["end"]))
        peaks.append(result["peak_mb"])
    return faces, spans, peaks


def worker(root: str, core: str, out: str, *paths: str) -> int:
    """Index paths with the code of the tree at root, pinned to one core."""
    sys.path.insert(0, root)
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[int(core) % len(cores)]})
    from PIL import Image

    from faces.engines.local import find_faces
    from faces.engines.local.models import loaded_models

    loaded_models()  # once per process, outside the timings
    faces = {}
    start = time.time()
    for path in paths:
        # As the worker: the whole photo decoded, then the faces found and described.
        with common.Stopwatch() as watch, Image.open(path) as image:
            image.load()
            found = find_faces(image)
        boxes = [(f.box.left, f.box.top, f.box.left + f.box.width, f.box.top + f.box.height) for f in found]
        faces[path] = (watch.wall_s, watch.cpu_s, (boxes, [f.descriptor for f in found]))
    end = time.time()
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    Path(out).write_bytes(pickle.dumps({"faces": faces, "start": start, "end": end, "peak_mb": peak_kb / 1024}))
    return 0


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    return overlap / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap)


def compare_faces(before: dict, after: dict) -> tuple[int, int, list[str], list[float]]:
    """Faces of each version, the faces only one of them found, and the descriptor
    distances between the two versions of each face both found."""
    only, distances = [], []
    total_before = total_after = 0
    for path in sorted(before):
        (boxes_b, descriptors_b), (boxes_a, descriptors_a) = before[path][2], after[path][2]
        total_before, total_after = total_before + len(boxes_b), total_after + len(boxes_a)
        for box, descriptor in zip(boxes_b, descriptors_b, strict=True):
            same = [i for i, other in enumerate(boxes_a) if iou(box, other) >= SAME_FACE_IOU]
            if same:
                distances.append(float(np.linalg.norm(descriptor - descriptors_a[same[0]])))
            else:
                only.append(f"lost: {Path(path).name}, {box[3] - box[1]} px at ({box[0]}, {box[1]})")
        for box in boxes_a:
            if all(iou(box, other) < SAME_FACE_IOU for other in boxes_b):
                only.append(f"gained: {Path(path).name}, {box[3] - box[1]} px at ({box[0]}, {box[1]})")
    return total_before, total_after, only, distances


def report(rounds: dict[str, list[dict]], dev_faces: dict[str, dict], shots: int) -> int:
    median = {v: statistics.median(r["per_minute"] for r in rounds[v]) for v in rounds}
    cpu = {v: statistics.mean(c for r in rounds[v] for c in r["cpu"]) for v in rounds}
    peak = {v: max(r["peak_mb"] for r in rounds[v]) for v in rounds}
    event = compare_faces(rounds["before"][0]["faces"], rounds["after"][0]["faces"])
    dev = compare_faces(dev_faces["before"], dev_faces["after"])
    speedup = median["after"] / median["before"]
    print()
    print(f"| {shots} shots of 6000x4000, two workers | before | after |")
    print("|---|---|---|")
    print(f"| photos per minute, median round | {median['before']:.1f} | {median['after']:.1f} |")
    print(f"| CPU per photo, mean | {cpu['before']:.2f} s | {cpu['after']:.2f} s |")
    print(f"| faces found, event sets | {event[0]} | {event[1]} |")
    print(f"| faces found, dev ({len(dev_faces['before'])} photos) | {dev[0]} | {dev[1]} |")
    print(f"| peak RSS of a worker | {peak['before']:.0f} MB | {peak['after']:.0f} MB |")
    print(f"| **speedup** | | **{speedup:.2f}x** (CPU {cpu['before'] / cpu['after']:.2f}x) |")
    for distances, name in ((event[3], "event sets"), (dev[3], "dev")):
        if distances:
            print(
                f"descriptor distance, same face before/after ({name}): median {statistics.median(distances):.3f}, "
                f"max {max(distances):.3f}, over 0.1: {sum(d > 0.1 for d in distances)} of {len(distances)}"
            )
    for line in event[2] + dev[2]:
        print(line)
    ok = speedup >= SPEEDUP_TARGET and not event[2] and not dev[2]
    print("target met" if ok else f"TARGET MISSED (>= {SPEEDUP_TARGET}x the photos per minute, the same faces)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
