import csv
import json
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from eventgallery.progress import ProgressBar
from faces import search
from faces.engines import get_engine
from faces.models import Face, PhotoFaces
from faces.services.indexing import photo_faces_index
from faces.services.search import FaceSearchError, face_search, read_selfie
from galleries.models import Gallery, Photo
from galleries.services.galleries import gallery_delete
from galleries.services.photos import PhotoUploadError, photo_create
from galleries.services.processing import photo_process

# The photos are processed and indexed here, one after the other, so that each step
# can be timed: queued tasks go nowhere.
_NO_WORKER = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@dataclass
class Query:
    file: str
    person: str
    own_photo_id: int | None  # the selfie's own photo, when it comes from the gallery


class Command(BaseCommand):
    help = (
        "Measures Find me on a labelled folder (labels.csv: file,people with people separated by ';'): "
        "indexes its photos into a temporary gallery with the configured face engine, searches with "
        'each selfie and prints precision and recall of "you" and of "you" + "maybe you", the '
        "people it confused, the recall of each person and the search's time; the last line is one "
        "JSON object (the figures), --json writes them all, lists included."
    )

    def add_arguments(self, parser):
        parser.add_argument("gallery_dir", type=Path)
        parser.add_argument(
            "--selfies",
            type=Path,
            help="A labelled folder of selfies. Without it, every one-person photo of the gallery is "
            "searched against the others.",
        )
        parser.add_argument(
            "--json",
            type=Path,
            dest="json_file",
            help="Write the whole report (figures, confused pairs, recall per person) to this file.",
        )

    def handle(self, *, gallery_dir, selfies, json_file=None, verbosity, **options):
        gallery_labels = _read_labels(gallery_dir)
        selfie_labels = _read_labels(selfies) if selfies else None
        with override_settings(TASKS=_NO_WORKER):
            gallery = Gallery.objects.create(
                name=f"Evaluation of {gallery_dir.name}",
                slug=f"evaluate-faces-{uuid.uuid4().hex[:12]}",
                face_search_enabled=True,
            )
            try:
                figures = self._evaluate(gallery, gallery_dir, gallery_labels, selfies, selfie_labels, verbosity)
            finally:
                gallery_delete(gallery=gallery)
        confused, per_person = figures.pop("confused_pairs"), figures.pop("per_person")
        if verbosity:
            self._print_report(figures, confused, per_person)
        if json_file:
            report = {"set": str(gallery_dir), **figures, "confused_pairs": confused, "per_person": per_person}
            json_file.write_text(json.dumps(report, indent=1) + "\n")
        self.stdout.write(json.dumps(figures))

    def _print_report(self, figures: dict, confused: list[dict], per_person: dict[str, dict]) -> None:
        write = self.stdout.write
        write(
            f"you:            precision {figures['precision']:.4f}, recall {figures['recall']:.4f}\n"
            f"you + maybe you: precision {figures['precision_with_maybe']:.4f}, "
            f"recall {figures['recall_with_maybe']:.4f}\n"
            f"({figures['queries']} selfies, {figures['photos']} photos, {figures['faces']} faces; "
            f"search ms p50 {figures['search_ms_p50']}, p95 {figures['search_ms_p95']}, "
            f"describe ms p50 {figures['describe_ms_p50']})"
        )
        if confused:
            write(f"Confused ({len(confused)} pairs: selfie's person, person of the photo, tier, matches, distance):")
            for pair in confused:
                distances = ", ".join(f"{d:.3f}" for d in pair["distances"]) or "-"
                write(f"  {pair['person']} ~ {pair['other']}  {pair['tier']}  x{pair['matches']}  {distances}")
        missed = {p: r for p, r in per_person.items() if r["recall_with_maybe"] < 1 or r["recall"] < 1}
        if missed:
            write("Recall per person, where it is below 1 (you, you + maybe you, of photos):")
            for person, r in sorted(missed.items(), key=lambda item: (item[1]["recall"], item[0])):
                write(f"  {person}: {r['recall']:.3f}, {r['recall_with_maybe']:.3f} of {r['relevant']}")

    def _evaluate(self, gallery, gallery_dir, gallery_labels, selfie_dir, selfie_labels, verbosity) -> dict:
        progress = ProgressBar(self.stderr._out, len(gallery_labels)) if verbosity else None
        photo_people: dict[int, set[str]] = {}
        photo_of_file: dict[str, int] = {}
        index_seconds = []
        for name, people in gallery_labels.items():
            photo = self._add_photo(gallery, gallery_dir / name)
            if photo is not None:
                started = time.perf_counter()
                indexed = photo_faces_index(photo_id=photo.pk)
                index_seconds.append(time.perf_counter() - started)
                if indexed is None or indexed.status != PhotoFaces.Status.INDEXED:
                    reason = indexed.error if indexed else "not indexed"
                    self.stderr.write(f"{name}: {reason}")
                photo_people[photo.pk] = people
                photo_of_file[name] = photo.pk
            if progress:
                progress.advance(name)
        if progress:
            progress.close()

        if selfie_dir is None:
            queries = [
                Query(file=str(gallery_dir / name), person=next(iter(people)), own_photo_id=photo_of_file.get(name))
                for name, people in gallery_labels.items()
                if len(people) == 1
            ]
        else:
            queries = [
                Query(file=str(selfie_dir / name), person=next(iter(people)), own_photo_id=None)
                for name, people in selfie_labels.items()
                if len(people) == 1
            ]

        tiers = {"sure": [0, 0, 0], "any": [0, 0, 0]}  # right hits, hits, relevant
        persons: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # relevant, found sure, found any
        confused: dict[tuple[str, str, str], list[float | None]] = defaultdict(list)
        describe_ms, search_ms = [], []
        no_face = 0
        engine = get_engine()
        selfie_faces = []
        describe_selfie = engine.describe_selfie

        def recording_describe_selfie(image):
            # The selfie's descriptor, for the distances of the people it is confused with.
            face = describe_selfie(image)
            selfie_faces.append(face)
            return face

        for query in queries:
            relevant = {pk for pk, people in photo_people.items() if query.person in people} - {query.own_photo_id}
            persons[query.person][0] += len(relevant)
            with open(query.file, "rb") as fh, mock.patch.object(engine, "describe_selfie", recording_describe_selfie):
                try:
                    result = face_search(gallery=gallery, selfie=read_selfie(fh))
                except FaceSearchError as exc:
                    self.stderr.write(f"{Path(query.file).name}: {exc}")
                    no_face += 1
                    for tier in tiers.values():
                        tier[2] += len(relevant)
                    continue
            describe_ms.append(result.describe_ms)
            search_ms.append(result.search_ms)
            selfie_descriptor = getattr(selfie_faces[-1], "descriptor", None) if selfie_faces else None
            for tier_name, matches in (("sure", result.sure), ("any", result.matches)):
                found = {m.photo.pk for m in matches} - {query.own_photo_id}
                tier = tiers[tier_name]
                tier[0] += len(found & relevant)
                tier[1] += len(found)
                tier[2] += len(relevant)
                persons[query.person][1 if tier_name == "sure" else 2] += len(found & relevant)
            for match in result.matches:
                if match.photo.pk in relevant or match.photo.pk == query.own_photo_id:
                    continue
                other = " / ".join(sorted(photo_people.get(match.photo.pk, ()))) or "(nobody labelled)"
                tier_name = "you" if match.is_sure else "maybe you"
                confused[(query.person, other, tier_name)].append(_distance(selfie_descriptor, match.face.descriptor))
                if verbosity >= 2 and tier_name == "sure":
                    for pk in sorted(found - relevant):
                        self.stderr.write(f"  {Path(query.file).name}: wrong match {_name_of(photo_of_file, pk)}")
                    for pk in sorted(relevant - found):
                        self.stderr.write(f"  {Path(query.file).name}: missed {_name_of(photo_of_file, pk)}")

        def ratio(a, b):
            return round(a / b, 4) if b else 1.0

        sure, any_ = tiers["sure"], tiers["any"]
        return {
            "engine": get_engine().name,
            "precision": ratio(sure[0], sure[1]),
            "recall": ratio(sure[0], sure[2]),
            "precision_with_maybe": ratio(any_[0], any_[1]),
            "recall_with_maybe": ratio(any_[0], any_[2]),
            "queries": len(queries),
            "selfies_without_face": no_face,
            "photos": len(photo_people),
            "faces": Face.objects.filter(gallery=gallery).count(),
            "index_s_per_photo": round(statistics.mean(index_seconds), 3) if index_seconds else None,
            "describe_ms_p50": round(statistics.median(describe_ms), 1) if describe_ms else None,
            "search_ms_p50": round(statistics.median(search_ms), 2) if search_ms else None,
            "search_ms_p95": round(float(np.percentile(search_ms, 95)), 2) if search_ms else None,
            "search_ms_mean": round(statistics.mean(search_ms), 2) if search_ms else None,
            "confused_pairs": [
                {
                    "person": person,
                    "other": other,
                    "tier": tier_name,
                    "matches": len(distances),
                    "distances": sorted(round(d, 4) for d in distances if d is not None),
                }
                for (person, other, tier_name), distances in sorted(
                    confused.items(), key=lambda item: (item[0][2] != "you", -len(item[1]), item[0])
                )
            ],
            "per_person": {
                person: {
                    "relevant": relevant,
                    "recall": ratio(sure_found, relevant),
                    "recall_with_maybe": ratio(any_found, relevant),
                }
                for person, (relevant, sure_found, any_found) in sorted(persons.items())
            },
        }

    def _add_photo(self, gallery: Gallery, path: Path) -> Photo | None:
        try:
            with path.open("rb") as fh, transaction.atomic():
                photo = photo_create(gallery=gallery, upload=File(fh), filename=path.name)
        except (OSError, PhotoUploadError) as exc:
            self.stderr.write(f"{path.name}: {exc}")
            return None
        processed = photo_process(photo_id=photo.pk)
        if processed is None:
            self.stderr.write(f"{path.name}: {Photo.objects.get(pk=photo.pk).error}")
        return processed


def _distance(selfie_descriptor: bytes | None, face_descriptor: bytes | None) -> float | None:
    """The descriptors' distance, when the engine gives descriptors (Rekognition does not)."""
    if selfie_descriptor is None or face_descriptor is None:
        return None
    return search.distance(np.frombuffer(selfie_descriptor, np.float32), np.frombuffer(face_descriptor, np.float32))


def _name_of(photo_of_file: dict[str, int], pk: int) -> str:
    return next((name for name, photo_id in photo_of_file.items() if photo_id == pk), str(pk))


def _read_labels(folder: Path) -> dict[str, set[str]]:
    labels_file = folder / "labels.csv"
    if not labels_file.is_file():
        raise CommandError(
            f"{labels_file} is missing: a labelled folder has a labels.csv with the columns file,people."
        )
    with labels_file.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"file", "people"} <= set(reader.fieldnames):
            raise CommandError(f"{labels_file} needs the columns file,people.")
        labels = {}
        for row in reader:
            people = {p.strip() for p in (row["people"] or "").split(";") if p.strip()}
            labels[row["file"].strip()] = people
    missing = [name for name in labels if not (folder / name).is_file()]
    if missing:
        raise CommandError(f"{len(missing)} file(s) of {labels_file} are missing, such as {missing[0]}.")
    return labels
