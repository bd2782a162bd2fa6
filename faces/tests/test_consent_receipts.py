"""Consent receipts: each Find me search leaves one (time, gallery, privacy text version;
nothing biometric, no address, no device), and organizers export theirs as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from accounts.services import organizers_group
from faces import consent
from faces.models import ConsentReceipt
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.hide_me import gallery_with_the_person, search
from galleries.tests.factories import make_gallery, make_user

CHANGELIST = "/admin/faces/consentreceipt/"


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def test_a_search_leaves_a_receipt_of_the_privacy_text_it_was_made_under(
    consenting_client, django_capture_on_commit_callbacks
):
    gallery, _ = gallery_with_the_person(django_capture_on_commit_callbacks)

    search(consenting_client, gallery)

    [receipt] = ConsentReceipt.objects.all()
    assert receipt.gallery == gallery
    assert receipt.policy_version == consent.privacy_policy(gallery=gallery).version
    assert len(receipt.policy_version) == 12
    # Nothing else has a place in it: no face, no address, no device.
    assert {f.name for f in ConsentReceipt._meta.concrete_fields} == {"id", "gallery", "created_at", "policy_version"}


def test_the_version_moves_with_what_the_privacy_text_says(db, settings):
    gallery = make_gallery(face_search_enabled=True)
    local = consent.privacy_policy(gallery=gallery).version
    assert consent.privacy_policy(gallery=gallery).version == local

    settings.FACE_ENGINE, settings.REKOGNITION_REGION = "rekognition", "eu-west-1"
    rekognition = consent.privacy_policy(gallery=gallery).version
    settings.REKOGNITION_REGION = "us-east-1"
    other_region = consent.privacy_policy(gallery=gallery).version
    gallery.privacy_contact = "dpo@example.com"
    with_contact = consent.privacy_policy(gallery=gallery).version

    assert len({local, rekognition, other_region, with_contact}) == 4


def _organizer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _export(client, receipts) -> list[list[str]]:
    response = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [r.pk for r in receipts], "index": 0},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="consent-receipts.csv"'
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_organizers_export_the_receipts_of_their_own_galleries_only(db):
    owner, other = make_user(staff=True), make_user(staff=True)
    for user in (owner, other):
        user.groups.add(organizers_group())
    mine = make_gallery(owner=owner, name="Mine Azalea", slug="mine-azalea", face_search_enabled=True)
    theirs = make_gallery(owner=other, name="Theirs Begonia", slug="theirs-begonia", face_search_enabled=True)
    receipts = [consent.consent_receipt_create(gallery=g) for g in (mine, mine, theirs)]

    owners_rows = _export(_organizer_client(owner), receipts)
    superusers_rows = _export(_organizer_client(make_user(superuser=True)), receipts)

    assert owners_rows[0] == ["time (UTC)", "gallery", "gallery address", "privacy text version"]
    assert [row[1:] for row in owners_rows[1:]] == [["Mine Azalea", "mine-azalea", receipts[0].policy_version]] * 2
    assert owners_rows[1][0].endswith("+00:00")
    assert sorted(row[1] for row in superusers_rows[1:]) == ["Mine Azalea", "Mine Azalea", "Theirs Begonia"]
    listing = _organizer_client(owner).get(CHANGELIST)
    assert "Mine Azalea" in listing.text and "Theirs Begonia" not in listing.text
