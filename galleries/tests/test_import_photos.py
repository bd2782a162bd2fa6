import pytest
from django.core.management import CommandError, call_command

from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg
from galleries.tests.images import cmyk_jpeg_bytes, huge_png_bytes, png16_bytes, rgba_png_bytes


def _run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_photos", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def card(tmp_path):
    folder = tmp_path / "card"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "IMG_0001.jpg").write_bytes(unique_jpeg())
    (folder / "day1" / "IMG_0002.JPG").write_bytes(cmyk_jpeg_bytes())
    (folder / "scan.png").write_bytes(png16_bytes())
    (folder / "logo.png").write_bytes(rgba_png_bytes())
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return folder


def test_it_imports_every_image_below_the_folder(card, db):
    gallery = make_gallery(slug="race")

    out, err, error = _run("race", str(card))

    assert error is None
    assert "Imported 4, queued again 0, already there 0, failed 0 (of 4 files" in out
    assert "4/4 (100%" in err  # the progress bar
    assert sorted(gallery.photos.values_list("original_filename", flat=True)) == [
        "IMG_0001.jpg",
        "IMG_0002.JPG",
        "logo.png",
        "scan.png",
    ]


def test_running_it_again_skips_what_it_has(card, db):
    gallery = make_gallery(slug="race")
    _run("race", str(card))
    (card / "IMG_0003.jpg").write_bytes(unique_jpeg())

    out, _, error = _run("race", str(card))

    assert error is None
    assert "Imported 1, queued again 0, already there 4, failed 0" in out
    assert gallery.photos.count() == 5


def test_it_reports_files_it_cannot_import_and_goes_on(card, db):
    gallery = make_gallery(slug="race")
    (card / "notes.doc").write_text("not a photo")
    (card / "empty.jpg").write_bytes(b"")
    (card / "bomb.png").write_bytes(huge_png_bytes())
    (card / "cut.jpg").write_bytes(unique_jpeg(width=1200, height=900)[:4000])

    out, _, error = _run("race", str(card))

    assert "Imported 4, queued again 0, already there 0, failed 4" in out
    assert "notes.doc: This file is not an image" in out
    assert "empty.jpg: The file is empty." in out
    assert "bomb.png: This image is too large: 400 megapixels, at most 150." in out
    assert "cut.jpg: The file is damaged or incomplete" in out
    assert str(error) == "4 file(s) could not be imported; the others were."
    assert gallery.photos.count() == 4
    assert not Photo.objects.filter(original_filename__in=["notes.doc", "empty.jpg", "bomb.png", "cut.jpg"]).exists()


def test_it_names_an_unknown_gallery_or_folder(card, db):
    make_gallery(slug="race")

    assert str(_run("nope", str(card))[2]) == "No gallery with the slug 'nope'."
    assert str(_run("race", str(card / "missing"))[2]).endswith("missing is not a folder.")


def test_running_it_again_processes_again_the_photos_that_failed(card, transactional_db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    gallery = make_gallery(slug="race")
    _run("race", str(card))
    failed = gallery.photos.get(original_filename="scan.png")
    Photo.objects.filter(pk=failed.pk).update(
        status=Photo.Status.FAILED,
        error="The storage did not answer (5 attempts); retry the photo later.",
        processing_attempts=5,
    )

    out, _, error = _run("race", str(card))

    assert error is None
    assert "Imported 0, queued again 1, already there 3, failed 0" in out
    assert "  scan.png: had failed; processed again" in out
    assert "The photos are processed in the background by the worker (manage.py run_worker)." in out
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.processing_attempts) == (Photo.Status.PENDING, "", 0)

    call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert set(gallery.photos.values_list("status", flat=True)) == {Photo.Status.READY}
