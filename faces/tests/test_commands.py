"""index_faces and evaluate_faces, run as an operator runs them."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from faces.models import Face, FaceCollection, PhotoFaces
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import jpeg
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_index_faces_indexes_the_photos_not_indexed_yet():
    gallery = make_gallery(slug="party")
    photo = upload_photo(gallery, content=jpeg(face_images.group_photo()))
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)

    assert "Indexed 1 photo(s), 6 face(s); 0 failed." in _run("index_faces", "party")
    assert photo.faces.count() == 6
    assert "Indexed 0 photo(s), 0 face(s); 0 failed." in _run("index_faces", "party")

    before = set(photo.faces.values_list("pk", flat=True))
    assert "Indexed 1 photo(s), 6 face(s); 0 failed." in _run("index_faces", "party", "--reindex")
    assert not before & set(photo.faces.values_list("pk", flat=True))


def test_index_faces_reports_the_photos_it_could_not_index_and_goes_on():
    gallery = make_gallery(slug="party")
    broken = upload_photo(gallery, content=jpeg(face_images.group_photo()), filename="broken.jpg")
    upload_photo(gallery, content=jpeg(face_images.tom_hanks()), filename="hanks.jpg")
    Gallery.objects.filter(pk=gallery.pk).update(face_search_enabled=True)
    broken.original.storage.delete(broken.original.name)

    out = StringIO()
    with pytest.raises(CommandError, match="1 photo"):
        call_command("index_faces", stdout=out, stderr=StringIO())

    assert "Indexed 1 photo(s), 1 face(s); 1 failed." in out.getvalue()
    assert "broken.jpg: The original is missing from storage." in out.getvalue()


def test_index_faces_refuses_an_unknown_gallery_or_one_without_find_me():
    make_gallery(slug="party")
    with pytest.raises(CommandError, match="No gallery with the slug 'nope'"):
        _run("index_faces", "nope")
    with pytest.raises(CommandError, match="Find me is off"):
        _run("index_faces", "party")


def _labelled_folder(folder, files: dict[str, tuple[object, str]]):
    folder.mkdir()
    for name, (image, _) in files.items():
        (folder / name).write_bytes(jpeg(image))
    with (folder / "labels.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "people"])
        for name, (_, people) in files.items():
            writer.writerow([name, people])


def test_evaluate_faces_measures_precision_and_recall_and_leaves_nothing_behind(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    group = face_images.group_photo()
    people = ["ann", "bob", "cat", "dan", "eve", "fay"]
    _labelled_folder(
        tmp_path / "gallery",
        {
            "group.jpg": (group, ";".join(people)),
            "bob.jpg": (face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[1], face_px=110, quality=85), "bob"),
            "eve.jpg": (face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[4], face_px=110, quality=85), "eve"),
            "tom.jpg": (face_images.tom_hanks(), "tom"),
        },
    )
    _labelled_folder(
        tmp_path / "selfies",
        {
            "bob-selfie.jpg": (
                face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[1], face_px=110, angle=-8, quality=50),
                "bob",
            ),
            "fay-selfie.jpg": (face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[5], face_px=110), "fay"),
        },
    )

    # The command runs in autocommit; in this test's transaction its deletions of files
    # wait for a commit, which the capture stands in for.
    with django_capture_on_commit_callbacks(execute=True):
        leave_one_out = json.loads(_run("evaluate_faces", str(tmp_path / "gallery")).splitlines()[-1])
    with django_capture_on_commit_callbacks(execute=True):
        held_out = json.loads(
            _run("evaluate_faces", str(tmp_path / "gallery"), "--selfies", str(tmp_path / "selfies")).splitlines()[-1]
        )

    # bob, eve and tom each search the three other photos: bob and eve are in the group.
    assert leave_one_out["queries"] == 3
    assert (leave_one_out["precision"], leave_one_out["recall"]) == (1.0, 1.0)
    assert leave_one_out["photos"] == 4 and leave_one_out["faces"] == 9
    # bob's selfie finds the group and bob.jpg; fay's the group.
    assert held_out["queries"] == 2
    assert (held_out["precision"], held_out["recall"]) == (1.0, 1.0)
    assert held_out["index_s_per_photo"] > 0 and held_out["search_ms_p50"] > 0
    assert not Gallery.objects.exists() and not Photo.objects.exists()
    assert not Face.objects.exists() and not PhotoFaces.objects.exists() and not FaceCollection.objects.exists()
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def test_evaluate_faces_refuses_a_folder_without_labels(tmp_path):
    with pytest.raises(CommandError, match="labels.csv is missing"):
        _run("evaluate_faces", str(tmp_path))


def _small_gallery(folder):
    group = face_images.group_photo()
    _labelled_folder(
        folder,
        {
            "group.jpg": (group, "ann;bob;cat;dan;eve;fay"),
            "bob.jpg": (face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[1], face_px=110, quality=85), "bob"),
            "eve.jpg": (face_images.selfie_of(group, GROUP_PHOTO_FACE_CENTRES[4], face_px=110, quality=85), "eve"),
            "tom.jpg": (face_images.tom_hanks(), "tom"),
        },
    )


def test_evaluate_faces_writes_the_whole_report_as_json(tmp_path, django_capture_on_commit_callbacks):
    _small_gallery(tmp_path / "gallery")

    with django_capture_on_commit_callbacks(execute=True):
        out = _run("evaluate_faces", str(tmp_path / "gallery"), "--json", str(tmp_path / "report.json"))

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["set"] == str(tmp_path / "gallery")
    assert (report["precision"], report["recall"]) == (1.0, 1.0)
    assert (report["precision_with_maybe"], report["recall_with_maybe"]) == (1.0, 1.0)
    assert report["confused_pairs"] == []
    # bob's and eve's photos find the group; tom is alone in the gallery.
    assert report["per_person"] == {
        "bob": {"relevant": 1, "recall": 1.0, "recall_with_maybe": 1.0},
        "eve": {"relevant": 1, "recall": 1.0, "recall_with_maybe": 1.0},
        "tom": {"relevant": 0, "recall": 1.0, "recall_with_maybe": 1.0},
    }
    assert report["search_ms_p95"] >= report["search_ms_p50"] > 0 and report["search_ms_mean"] > 0
    # The last line of the output holds the figures, without the lists.
    assert json.loads(out.splitlines()[-1]) == {
        k: v for k, v in report.items() if k not in ("set", "confused_pairs", "per_person")
    }
    assert "you:            precision 1.0000, recall 1.0000" in out
    assert "you + maybe you: precision 1.0000, recall 1.0000" in out
    assert "Confused" not in out and "Recall per person" not in out


def test_evaluate_faces_names_the_people_it_confuses_with_their_distances(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    _small_gallery(tmp_path / "gallery")
    # Nothing is "you", everything is "maybe you": every other photo is a confusion.
    settings.FACE_MATCH_DISTANCE = 0.01
    settings.FACE_CONFIDENT_DISTANCE = 0.0
    settings.FACE_MAYBE_DISTANCE = 2.0

    with django_capture_on_commit_callbacks(execute=True):
        out = _run("evaluate_faces", str(tmp_path / "gallery"), "--json", str(tmp_path / "report.json"))

    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["precision"], report["recall"], report["recall_with_maybe"]) == (1.0, 0.0, 1.0)
    pairs = {(p["person"], p["other"]): p for p in report["confused_pairs"]}
    assert set(pairs) == {
        ("bob", "eve"),
        ("bob", "tom"),
        ("eve", "bob"),
        ("eve", "tom"),
        ("tom", "bob"),
        ("tom", "eve"),
        ("tom", "ann / bob / cat / dan / eve / fay"),
    }
    assert all(p["tier"] == "maybe you" and p["matches"] == 1 for p in pairs.values())
    # Distances of different people, the selfie's descriptor against the face it matched.
    assert all(len(p["distances"]) == 1 and 0.6 < p["distances"][0] < 1.5 for p in pairs.values())
    assert report["per_person"]["bob"] == {"relevant": 1, "recall": 0.0, "recall_with_maybe": 1.0}
    assert "  bob ~ eve  maybe you  x1  " in out
    assert "  bob: 0.000, 1.000 of 1" in out
