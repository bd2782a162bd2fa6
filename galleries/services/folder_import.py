"""Importing a folder of photos from the server's disk (manage.py import_photos).

The operator waits: the storage is tried TASK_MAX_ATTEMPTS times, so that a short outage
costs no photo. Hidden files, the desktop's litter and the sidecars cameras and photo
software leave beside the photos (.xmp, .THM, notes) are skipped and counted, never
failed; a file the gallery has as a failed photo is processed again rather than stored
twice.
"""

from collections import Counter
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
# What cameras and photo software write beside the photos: metadata (Lightroom's and
# darktable's .xmp, Apple's .aae, RawTherapee's .pp3, DxO's .dop), a camera's thumbnails
# and low-resolution videos (.THM, .LRV), notes, shot lists and checksums. Compared lower case.
SIDECAR_EXTENSIONS = {
    ".xmp",
    ".thm",
    ".lrv",
    ".aae",
    ".pp3",
    ".dop",
    ".on1",
    ".txt",
    ".md",
    ".csv",
    ".pdf",
    ".rtf",
    ".json",
    ".xml",
    ".md5",
    ".sha1",
    ".sha256",
    ".ini",
    ".db",
    ".log",
}
HIDDEN = "hidden or system file"
SIDECAR = "sidecar or note, not a photo"


@dataclass
class FolderScan:
    photos: list[Path]  # every file that could be a photo, in a stable order
    skipped: list[tuple[Path, str]]  # and why (HIDDEN, SIDECAR)

    def skipped_summary(self) -> str:
        """ "3 file(s) that are not photos: 2 sidecar or note, not a photo (.THM, .xmp), 1 hidden or system file"."""
        reasons = Counter(reason for _, reason in self.skipped)
        parts = []
        for reason, count in sorted(reasons.items()):
            kinds = sorted({path.suffix or path.name for path, why in self.skipped if why == reason})
            shown = f" ({', '.join(kinds[:5])}{', ...' if len(kinds) > 5 else ''})" if reason == SIDECAR else ""
            parts.append(f"{count} {reason}{shown}")
        return f"{len(self.skipped)} file(s) that are not photos: {', '.join(parts)}"


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)
    # Files the gallery had as failed photos: those photos are processed again.
    requeued: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def folder_scan(folder: Path) -> FolderScan:
    """The files below `folder` that could be photos, and those skipped, with why."""
    photos, skipped = [], []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.name in SKIPPED_FILE_NAMES or any(part.startswith(".") for part in path.relative_to(folder).parts):
            skipped.append((path, HIDDEN))
        elif path.suffix.lower() in SIDECAR_EXTENSIONS:
            skipped.append((path, SIDECAR))
        else:
            photos.append(path)
    return FolderScan(photos=photos, skipped=skipped)


def folder_files(folder: Path) -> list[Path]:
    """Every file below `folder` that could be a photo, in a stable order."""
    return folder_scan(folder).photos


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
