"""Files in the storage that no row names, and deleting them.

How they come about: the rows go first and their files are deleted on commit
(photos.files_delete), so a storage that does not answer at that moment (S3 away while
an organizer deletes a gallery) keeps every file of it, and logs each; a save whose
answer was lost, whose own clean-up then failed too, leaves its object. Deleted photos
of guests must not stay in a bucket because S3 hiccupped once.

Invariants:
- Only the application's own folders are read: galleries/ (photos and phone heroes) and
  watermarks/ (logos), or the `folders` a caller names (api.services.pending_uploads_clean
  its uploads/); anything else in a shared bucket is left alone.
- A file is an orphan only when it is older than `stored_before` and no FileField of
  any installed model names it. A file is stored before its row, and processing stores
  derivatives before the row switches to them, so a young file may be on its way to a
  row: the worker's sweep only takes files a day old.
- A gallery's phone heroes (galleries/hero.py) are named by no row; they are kept while
  their gallery exists, and hero.py replaces them itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path

from django.apps import apps
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import models
from django.utils import timezone
from storages.backends.s3 import S3Storage

from galleries.models import Gallery, Photo
from galleries.services.photos import files_delete

logger = logging.getLogger(__name__)

FOLDERS = ("galleries", "watermarks")
# How old a file without a row must be before the worker's sweep deletes it.
ORPHAN_AGE = timedelta(days=1)
_GALLERY = re.compile(r"galleries/(\d+)")
_HERO = re.compile(r"galleries/(\d+)/hero/")
_NAMES_PER_QUERY = 500


@dataclass(frozen=True)
class StoredFile:
    name: str
    modified_at: datetime


def stored_files_orphaned(*, stored_before: datetime, folders: Iterable[str] = FOLDERS) -> list[StoredFile]:
    """The application's files stored before `stored_before` that no row names. Read a
    gallery's folder at a time (a listing is in key order, so a folder's files come
    together): one query for the names its photos hold, and the few files left over
    asked of every FileField."""
    galleries = set(Gallery.objects.values_list("pk", flat=True))
    orphans = []
    for folder in folders:
        old = (stored for stored in _stored_files(default_storage, folder) if stored.modified_at < stored_before)
        for group, files in groupby(old, key=_group_of):
            files = [stored for stored in files if not _hero_of(stored.name, galleries)]
            unnamed = {stored.name for stored in files} - _photo_names(group)
            unnamed -= _names_in_rows(unnamed)
            orphans.extend(stored for stored in files if stored.name in unnamed)
    return orphans


def stored_files_orphaned_delete(*, stored_before: datetime, folders: Iterable[str] = FOLDERS) -> int:
    """Deletes the files stored_files_orphaned finds; returns how many it found (a file
    the storage would not delete is logged and tried again next time)."""
    orphans = stored_files_orphaned(stored_before=stored_before, folders=folders)
    for stored in orphans:
        logger.warning("Deleting %s: stored %s, no row names it", stored.name, stored.modified_at.isoformat())
    files_delete(stored.name for stored in orphans)
    return len(orphans)


def stored_files_sweep() -> int:
    """The worker's daily sweep (registered in GalleriesConfig.ready())."""
    return stored_files_orphaned_delete(stored_before=timezone.now() - ORPHAN_AGE)


def _group_of(stored: StoredFile) -> str:
    """galleries/<id> for a gallery's files, else the top folder."""
    parts = stored.name.split("/")
    return "/".join(parts[:2]) if parts[0] == "galleries" else parts[0]


def _photo_names(group: str) -> set[str]:
    found = _GALLERY.fullmatch(group)
    if not found:
        return set()
    rows = Photo.objects.filter(gallery_id=int(found[1])).values_list("original", "thumbnail", "middle", "display")
    return {name for names in rows for name in names if name}


def _hero_of(name: str, galleries: set[int]) -> bool:
    found = _HERO.match(name)
    return bool(found) and int(found[1]) in galleries


def _names_in_rows(names: Iterable[str]) -> set[str]:
    """Those of `names` that a FileField of some installed model holds."""
    file_fields = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]
    names = list(names)
    named: set[str] = set()
    for start in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[start : start + _NAMES_PER_QUERY]
        for model, field in file_fields:
            named.update(model._base_manager.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return named


def _stored_files(storage: Storage, folder: str) -> Iterator[StoredFile]:
    """Every file under `folder`, however deep, with when it was stored: on S3 from one
    listing (a thousand objects a request, no request per file)."""
    if isinstance(storage, S3Storage):
        location = storage.location.strip("/")
        start = f"{location}/" if location else ""
        for summary in storage.bucket.objects.filter(Prefix=f"{start}{folder}/"):
            yield StoredFile(name=summary.key[len(start) :], modified_at=summary.last_modified)
    elif isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                modified_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
                yield StoredFile(name=path.relative_to(root).as_posix(), modified_at=modified_at)
    else:
        yield from _listed_files(storage, folder)


def _listed_files(storage: Storage, folder: str) -> Iterator[StoredFile]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file in files:
        name = f"{folder}/{file}"
        yield StoredFile(name=name, modified_at=storage.get_modified_time(name))
    for inner in folders:
        yield from _listed_files(storage, f"{folder}/{inner}")
