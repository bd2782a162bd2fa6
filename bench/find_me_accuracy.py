"""Find me's accuracy on every labelled set at hand, in one table.

Runs `manage.py evaluate_faces` (the real pipeline: upload, derivatives, indexing
with person grouping, `faces.services.search.face_search`) on:

  ../shared/faces/dev            26 photos of 15 people, each one-person photo searched against the others
  ../shared/faces/lfw-dev        324 LFW photos of 49 people, the same way
  event sets, seeds 1 and 2      ../shared/faces/make_event_set.py dev, into a temporary folder:
                                 24 group shots of 24 MP, searched with held-out selfies

each in a fresh SQLite database and media folder of a temporary directory, with the
settings of the environment (so `FACE_MATCH_DISTANCE=0.5 bench/find_me_accuracy.py`
measures another threshold). Each set's whole report (confused pairs, recall per
person) is written to bench/out/find-me-<set>.json.

    .venv/bin/python bench/find_me_accuracy.py [--sets dev,lfw-dev] [--label NAME]

On 2 cores shared with other work, lfw-dev took 1-3.5 minutes, each event set 2.5-3.5.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent
SETS = ("dev", "lfw-dev", "event seed 1", "event seed 2")


def _sets(shared: Path, tmp: Path) -> dict[str, list[str]]:
    """name -> evaluate_faces' arguments."""
    found = {"dev": [str(shared / "dev")], "lfw-dev": [str(shared / "lfw-dev")]}
    for seed in (1, 2):
        out = tmp / f"event-seed{seed}"
        subprocess.run(
            [sys.executable, str(shared / "make_event_set.py"), str(shared / "dev"), str(out), "--seed", str(seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        found[f"event seed {seed}"] = [str(out / "gallery"), "--selfies", str(out / "selfies")]
    return found


def _evaluate(name: str, arguments: list[str], tmp: Path, report: Path) -> dict:
    work = tmp / name.replace(" ", "-")
    work.mkdir()
    env = {**os.environ, **common.project_env(work, DEBUG="true")}
    common.migrate(env)
    with common.Stopwatch() as watch:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "evaluate_faces", *arguments, "--json", str(report), "-v0"],
            check=True,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    figures = json.loads(report.read_text())
    figures["wall_s"] = round(watch.wall_s)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--sets", default=",".join(SETS), help="a comma-separated choice of: " + ", ".join(SETS))
    parser.add_argument("--label", default="", help="added to the report files' names, for comparisons")
    args = parser.parse_args()
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(wanted) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="find-me-accuracy-") as tmp:
        sets = _sets(args.shared, Path(tmp))
        for name in wanted:
            suffix = f"-{args.label}" if args.label else ""
            report = out / f"find-me-{name.replace(' ', '-')}{suffix}.json"
            print(f"{name}...", file=sys.stderr, flush=True)
            rows.append((name, _evaluate(name, sets[name], Path(tmp), report)))

    print(
        "| set | selfies | photos | faces | you P | you R | +maybe P | +maybe R | confused pairs (you) "
        "| search ms p50 / p95 | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, f in rows:
        confused_you = sum(1 for p in f["confused_pairs"] if p["tier"] == "you")
        print(
            f"| {name} | {f['queries']} | {f['photos']} | {f['faces']} | {f['precision']:.3f} | {f['recall']:.3f} "
            f"| {f['precision_with_maybe']:.3f} | {f['recall_with_maybe']:.3f} | {confused_you} "
            f"| {f['search_ms_p50']} / {f['search_ms_p95']} | {f['wall_s']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
