"""Hide requests that apply at once stay within budgets: the photos hidden at once in the
last hour, per gallery (HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR), per device
(HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR) and per address (HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR).
Beyond them a request waits for the organizer, who is sent an email when the site sends
email (Django's locmem backend here)."""

from __future__ import annotations

import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from faces.models import HideRequest
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.hide_me import gallery_with_the_person, hide_url, search
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_user


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


@pytest.fixture
def found(consenting_client, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_ENABLED = True
    settings.PUBLIC_BASE_URL = "https://photos.example.org"
    owner = make_user(staff=True)
    owner.email = "organizer@example.org"
    owner.save(update_fields=["email"])
    gallery, (group, alone, table) = gallery_with_the_person(django_capture_on_commit_callbacks, owner=owner)
    token = search(consenting_client, gallery)
    return SimpleNamespace(gallery=gallery, group=group, alone=alone, table=table, token=token)


def _hide(client, found, capture, **data):
    with capture(execute=True):
        return client.post(hide_url(found.gallery), {"r": found.token, **data})


def _hidden(gallery) -> set[int]:
    return set(Photo.objects.filter(gallery=gallery, hidden=True).values_list("pk", flat=True))


def _consenting(client: Client) -> Client:
    session = client.session
    session["find_me_consent"] = True
    session.save()
    return client


def test_one_photo_hides_at_once_and_the_next_waits_with_an_email(
    consenting_client, found, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _hide(consenting_client, found, capture, photo=[str(found.group.key)])

    assert first.status_code == 303
    assert _hidden(found.gallery) == {found.group.pk}
    assert mail.outbox == []

    second = _hide(consenting_client, found, capture, photo=[str(found.alone.key)], contact="guest@example.com")

    assert second.status_code == 303
    assert _hidden(found.gallery) == {found.group.pk}
    waiting = HideRequest.objects.get(status=HideRequest.Status.PENDING)
    assert not waiting.applied_at_once
    page = consenting_client.get(second["Location"])
    assert "the organizers will look at your request to hide 1 photo" in page.text
    [email] = mail.outbox
    assert email.to == ["organizer@example.org"]
    assert found.gallery.name in email.subject
    assert (
        f"https://photos.example.org/admin/faces/hiderequest/?gallery__id__exact={found.gallery.pk}"
        "&status__exact=pending" in email.body
    )
    # Nothing about the guest: not their contact, nothing of their face or photos.
    assert "guest@example.com" not in email.body and str(found.alone.key) not in email.body
    assert not email.attachments


def test_hide_all_of_two_photos_waits_for_the_organizer(consenting_client, found, django_capture_on_commit_callbacks):
    response = _hide(consenting_client, found, django_capture_on_commit_callbacks, all="1")

    assert response.status_code == 303
    assert _hidden(found.gallery) == set()
    assert HideRequest.objects.get().status == HideRequest.Status.PENDING
    assert len(mail.outbox) == 1


def test_the_gallerys_budget_holds_across_devices(found, settings, django_capture_on_commit_callbacks):
    settings.HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR = 1
    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 2
    capture = django_capture_on_commit_callbacks

    assert _hide(_consenting(Client()), found, capture, photo=[str(found.group.key)]).status_code == 303
    assert _hide(_consenting(Client()), found, capture, photo=[str(found.alone.key)]).status_code == 303

    assert _hidden(found.gallery) == {found.group.pk}
    assert sorted(HideRequest.objects.values_list("status", flat=True)) == ["applied", "pending"]


def test_a_visitor_who_drops_their_device_cookie_still_hides_one_photo_at_once(
    found, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # A fresh client is a fresh device cookie; the test client's address stays the same.
    for photo in (found.group, found.alone):
        assert _hide(_consenting(Client()), found, capture, photo=[str(photo.key)]).status_code == 303

    assert _hidden(found.gallery) == {found.group.pk}
    assert sorted(HideRequest.objects.values_list("status", flat=True)) == ["applied", "pending"]


def test_another_address_has_a_budget_of_its_own(found, settings, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks

    _hide(_consenting(Client(REMOTE_ADDR="127.0.0.2")), found, capture, photo=[str(found.group.key)])
    _hide(_consenting(Client(REMOTE_ADDR="127.0.0.3")), found, capture, photo=[str(found.alone.key)])

    assert _hidden(found.gallery) == {found.group.pk, found.alone.pk}


def test_photos_hidden_more_than_an_hour_ago_leave_the_gallerys_budget(
    found, settings, django_capture_on_commit_callbacks
):
    settings.HIDE_AT_ONCE_PHOTOS_PER_GALLERY_HOUR = 1
    # Both clients share the test client's address: only the gallery's budget is measured.
    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 2
    capture = django_capture_on_commit_callbacks
    _hide(_consenting(Client()), found, capture, photo=[str(found.group.key)])
    HideRequest.objects.update(created_at=timezone.now() - timedelta(minutes=61))

    _hide(_consenting(Client()), found, capture, photo=[str(found.alone.key)])

    assert _hidden(found.gallery) == {found.group.pk, found.alone.pk}


def test_a_gallery_whose_requests_wait_emails_its_owner_for_each(
    consenting_client, found, django_capture_on_commit_callbacks
):
    Gallery.objects.filter(pk=found.gallery.pk).update(hide_requests_apply=Gallery.HideRequests.AFTER_APPROVAL)

    response = _hide(consenting_client, found, django_capture_on_commit_callbacks, photo=[str(found.group.key)])

    assert "the organizer will review your request" in consenting_client.get(response["Location"]).text
    [email] = mail.outbox
    assert "wait for your approval" in email.body


def test_no_email_when_the_site_sends_none(consenting_client, found, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_ENABLED = False

    _hide(consenting_client, found, django_capture_on_commit_callbacks, all="1")

    assert HideRequest.objects.get().status == HideRequest.Status.PENDING
    assert mail.outbox == []


def test_an_email_that_cannot_be_sent_does_not_fail_the_guests_request(
    consenting_client, found, settings, django_capture_on_commit_callbacks, caplog
):
    # A real SMTP client, sent to a port where nothing listens.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    response = _hide(consenting_client, found, django_capture_on_commit_callbacks, all="1")

    assert response.status_code == 303
    assert HideRequest.objects.get().status == HideRequest.Status.PENDING
    assert "the organizers will look at your request" in consenting_client.get(response["Location"]).text
    assert "Could not send the email about hide request" in caplog.text


def test_the_privacy_page_says_what_hides_at_once_and_that_a_copy_cannot(client, found, settings):
    from faces import consent

    page = client.get(f"/g/{found.gallery.slug}/privacy/").text
    assert "this happens at once for a photo, and once the organizers have looked at your request" in page
    assert "a copy of a photo from the gallery finds photos, but cannot ask for them to be hidden" in page
    version = consent.privacy_policy(gallery=found.gallery).version

    settings.HIDE_AT_ONCE_PHOTOS_PER_DEVICE_HOUR = 2

    settings.HIDE_AT_ONCE_PHOTOS_PER_ADDRESS_HOUR = 2

    assert "at once for up to 2 photos" in client.get(f"/g/{found.gallery.slug}/privacy/").text
    # What guests agree to changed: so does the version their receipts name.
    assert consent.privacy_policy(gallery=found.gallery).version != version


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (None, "False django.core.mail.backends.dummy.EmailBackend"),
        (
            "smtp+tls://mailer:secret@smtp.example.org:587",
            "True django.core.mail.backends.smtp.EmailBackend smtp.example.org 587 mailer True",
        ),
    ],
    ids=["unset", "smtp"],
)
def test_email_is_sent_only_when_email_url_names_a_server(email_url, expected):
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = {key: value for key, value in os.environ.items() if key != "EMAIL_URL"}
    if email_url:
        environment["EMAIL_URL"] = email_url
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_ENABLED, s.EMAIL_BACKEND, *([s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS] "
        "if s.EMAIL_ENABLED else []))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**environment, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "eventgallery.settings"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == expected
