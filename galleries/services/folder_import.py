"""Importing a folder of photos from the server's disk (manage.py import_photos).

The operator waits: the storage is tried TASK_MAX_ATTEMPTS times, so that a short outage
costs no photo. Hidden files and the desktop's litter are skipped; a file the gallery has
as a failed photo is processed again rather than stored twice.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from galleries.models import Gallery, Photo
from galleries.services.photos import DuplicatePhoto, PhotoUploadError, photo_create
from galleries.services.processing import photo_reprocess

# --- Folder import --------------------------------------------------------------------

SKIPPED_FILE_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)
    # Files the gallery had as failed photos: those photos are processed again.
    requeued: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def folder_files(folder: Path) -> list[Path]:
    """Every file below `folder` that could be a photo, in a stable order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name not in SKIPPED_FILE_NAMES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def photo_import_file(*, gallery: Gallery, path: Path, report: ImportReport) -> None:
    """Imports one file. The operator waits: the storage is tried TASK_MAX_ATTEMPTS
    times, so that a short outage costs no photo. A file the gallery has as a failed
    photo is processed again."""
    try:
        with path.open("rb") as fh:
            photo_create(
                gallery=gallery,
                upload=File(fh, name=path.name),
                filename=path.name,
                storage_attempts=settings.TASK_MAX_ATTEMPTS,
            )
    except DuplicatePhoto as exc:
        if exc.existing.status == Photo.Status.FAILED:
            with transaction.atomic():
                photo_reprocess(photos=[exc.existing])
            report.requeued.append(path)
        else:
            report.already_there.append(path)
    except PhotoUploadError as exc:
        report.failed.append((path, str(exc)))
    except OSError as exc:
        report.failed.append((path, f"Could not read the file: {exc.strerror or exc}"))
    else:
        report.imported.append(path)
