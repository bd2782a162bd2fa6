"""Find me's privacy text and the consent receipts that name its version.

The privacy text's version is the hash of every fact it states and of
PRIVACY_TEXT_REVISION, so that it changes whenever the text a guest reads does. A consent
receipt holds the time, the gallery and that version: nothing biometric, no address, no
device.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC

from django.conf import settings
from django.db.models import QuerySet

from faces.models import ConsentReceipt
from faces.privacy import hide_at_once_photos
from galleries.contact import gallery_contact
from galleries.models import Gallery

# Raise when templates/faces/privacy.html changes what it says: the receipts of searches
# made before then keep naming the version their guests agreed to.
PRIVACY_TEXT_REVISION = 2


@dataclass(frozen=True)
class PrivacyFacts:
    """What a gallery's privacy page says, from its settings and the server's."""

    gallery_name: str
    engine: str  # "local" or "rekognition"
    region: str  # Rekognition's AWS region, "" for the local engine
    closes_at: str  # ISO date and time, "" when the gallery never closes
    contact: str
    hide_requests_apply: str
    hide_action: str
    results_max_age_s: int
    hide_at_once_photos: int  # per device and address in an hour, where requests apply at once


@dataclass(frozen=True)
class PrivacyPolicy:
    facts: PrivacyFacts
    version: str


def privacy_policy(*, gallery: Gallery) -> PrivacyPolicy:
    """The gallery's privacy text's facts and its version: the first 12 hex digits of
    the SHA-256 of those facts and PRIVACY_TEXT_REVISION, which change whenever the
    text a guest reads does."""
    engine = settings.FACE_ENGINE
    facts = PrivacyFacts(
        gallery_name=gallery.name,
        engine=engine,
        region=(settings.REKOGNITION_REGION or "") if engine == "rekognition" else "",
        closes_at=gallery.closes_at.isoformat() if gallery.closes_at else "",
        contact=gallery_contact(gallery=gallery),
        hide_requests_apply=gallery.hide_requests_apply,
        hide_action=gallery.hide_action,
        results_max_age_s=settings.FIND_ME_RESULTS_MAX_AGE_S,
        hide_at_once_photos=hide_at_once_photos(),
    )
    text = json.dumps({"revision": PRIVACY_TEXT_REVISION, **asdict(facts)}, sort_keys=True)
    return PrivacyPolicy(facts=facts, version=hashlib.sha256(text.encode()).hexdigest()[:12])


def consent_receipt_create(*, gallery: Gallery) -> ConsentReceipt:
    """The receipt of one search: the time, the gallery, the privacy text's version."""
    return ConsentReceipt.objects.create(gallery=gallery, policy_version=privacy_policy(gallery=gallery).version)


CONSENT_RECEIPT_COLUMNS = ["time (UTC)", "gallery", "gallery address", "privacy text version"]


def consent_receipts_csv(*, receipts: QuerySet[ConsentReceipt]) -> str:
    """The receipts as CSV, oldest first: the columns of CONSENT_RECEIPT_COLUMNS, nothing else."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CONSENT_RECEIPT_COLUMNS)
    for created_at, name, slug, version in receipts.order_by("created_at", "id").values_list(
        "created_at", "gallery__name", "gallery__slug", "policy_version"
    ):
        writer.writerow([created_at.astimezone(UTC).isoformat(timespec="seconds"), name, slug, version])
    return out.getvalue()
