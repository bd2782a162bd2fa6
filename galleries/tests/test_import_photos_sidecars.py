"""manage.py import_photos over a camera card or a photo software's folder: the files
beside the photos (sidecars, notes, hidden files) are skipped and counted, not failed."""

from io import StringIO

from django.core.management import call_command

from galleries.tests.factories import make_gallery, unique_jpeg


def test_it_skips_sidecars_and_hidden_files_says_how_many_and_why_and_succeeds(tmp_path, db):
    gallery = make_gallery(slug="wedding")
    folder = tmp_path / "card"
    (folder / "DCIM").mkdir(parents=True)
    (folder / "DCIM" / "IMG_0001.JPG").write_bytes(unique_jpeg())
    (folder / "DCIM" / "IMG_0001.THM").write_bytes(unique_jpeg(width=160, height=120))
    (folder / "DCIM" / "IMG_0002.jpg").write_bytes(unique_jpeg())
    (folder / "DCIM" / "IMG_0002.jpg.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
    (folder / "DCIM" / "IMG_0002.XMP").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
    (folder / "notes.txt").write_text("Ceremony at 3, speeches at 7")
    (folder / "shot list.csv").write_text("file,people\nIMG_0001.JPG,Ana\n")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    out = StringIO()

    call_command("import_photos", "wedding", str(folder), stdout=out, stderr=StringIO())

    output = out.getvalue()
    assert "Imported 2, queued again 0, already there 0, failed 0 (of 2 files" in output
    assert (
        "Skipped 6 file(s) that are not photos: 1 hidden or system file, "
        "5 sidecar or note, not a photo (.THM, .XMP, .csv, .txt, .xmp)." in output
    )
    assert sorted(gallery.photos.values_list("original_filename", flat=True)) == ["IMG_0001.JPG", "IMG_0002.jpg"]


def test_it_says_nothing_of_skipping_when_it_skipped_nothing(tmp_path, db):
    make_gallery(slug="wedding")
    (tmp_path / "IMG_0001.jpg").write_bytes(unique_jpeg())
    out = StringIO()

    call_command("import_photos", "wedding", str(tmp_path), stdout=out, stderr=StringIO())

    assert "Skipped" not in out.getvalue()
