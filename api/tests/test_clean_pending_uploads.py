"""python manage.py clean_pending_uploads: uploads never attached go after a day."""

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from api.models import PendingUpload
from api.services import pending_upload_create
from galleries.tests.factories import unique_jpeg


def _pending(owner, *, age: timedelta) -> PendingUpload:
    pending = pending_upload_create(owner=owner, upload=ContentFile(unique_jpeg(), name="a.jpg"), filename="a.jpg")
    PendingUpload.objects.filter(pk=pending.pk).update(created_at=timezone.now() - age)
    return pending


def test_it_deletes_uploads_older_than_a_day_with_their_files(owner, any_storage, django_capture_on_commit_callbacks):
    old = _pending(owner, age=timedelta(days=1, minutes=1))
    recent = _pending(owner, age=timedelta(hours=23))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("clean_pending_uploads", stdout=out)

    assert list(PendingUpload.objects.all()) == [recent]
    assert any_storage() == [recent.file.name]
    assert "1 upload(s) deleted." in out.getvalue()
    assert not PendingUpload.objects.filter(pk=old.pk).exists()


def test_it_deletes_old_files_left_without_a_row(owner, settings, django_capture_on_commit_callbacks):
    root = Path(settings.MEDIA_ROOT)
    orphan = root / "uploads" / "0d6b9c1e-0000-4000-8000-000000000000" / "original.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a killed process")
    two_days_ago = time.time() - 2 * 86400
    os.utime(orphan, (two_days_ago, two_days_ago))
    fresh = root / "uploads" / "0d6b9c1e-0000-4000-8000-000000000001" / "original.jpg"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"being written right now")
    kept = _pending(owner, age=timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("clean_pending_uploads", stdout=StringIO())

    assert not orphan.exists()
    assert fresh.exists()
    assert (root / kept.file.name).exists()


def test_it_has_nothing_to_do_on_a_fresh_install(db):
    out = StringIO()

    call_command("clean_pending_uploads", stdout=out)

    assert "0 upload(s) deleted." in out.getvalue()
