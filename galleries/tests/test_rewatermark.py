"""manage.py rewatermark: the operator's way to draw again the photos that do not carry
their gallery's watermark (the worker does it after each change)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("rewatermark", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _changed_without_its_tasks(gallery) -> None:
    """The watermark changed, and its tasks were lost."""
    Gallery.objects.filter(pk=gallery.pk).update(watermark="text", watermark_text="Lumen")


def test_it_draws_the_photos_of_one_gallery_and_running_it_again_does_nothing():
    gallery = make_gallery(slug="summer")
    photos = [upload_photo(gallery) for _ in range(2)]
    other = make_gallery()
    left_alone = upload_photo(other)
    _changed_without_its_tasks(gallery)
    _changed_without_its_tasks(other)

    assert "Drew 2 photo(s) again; 0 failed (of 2 to draw)." in _run("summer")

    signature = Gallery.objects.get(pk=gallery.pk).watermark_signature()
    assert {p.watermark for p in Photo.objects.filter(pk__in=[p.pk for p in photos])} == {signature}
    assert Photo.objects.get(pk=left_alone.pk).watermark == ""
    assert "Drew 0 photo(s) again; 0 failed (of 0 to draw)." in _run("summer")
    assert "Drew 1 photo(s) again" in _run()


def test_a_photo_it_cannot_draw_is_named_with_the_reason_and_the_others_are_drawn():
    gallery = make_gallery(slug="summer")
    missing = upload_photo(gallery)
    missing.original.storage.delete(missing.original.name)
    fine = upload_photo(gallery)
    _changed_without_its_tasks(gallery)
    out = StringIO()

    with pytest.raises(CommandError, match="1 photo\\(s\\) still carry another watermark than their gallery's."):
        call_command("rewatermark", stdout=out, stderr=StringIO())

    assert "Drew 1 photo(s) again; 1 failed (of 2 to draw)." in out.getvalue()
    assert f"summer/{missing.original_filename} ({missing.key}): FileNotFoundError" in out.getvalue()
    assert Photo.objects.get(pk=fine.pk).watermark != ""


def test_an_unknown_gallery_is_an_error():
    with pytest.raises(CommandError, match="No gallery with the slug 'nope'."):
        _run("nope")
