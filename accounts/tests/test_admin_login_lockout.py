"""The admin log-in's throttle (django-axes, accounts/lockout.py): wrong passwords are
counted per username and address together, for a cool-off; single sign-on is not
throttled here."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from galleries.tests.factories import make_user

LOGIN = "/admin/login/?next=/admin/"


def _sign_in(client, username="organizer", password="wrong", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def _fail(client, times, username="organizer", **extra):
    return [_sign_in(client, username, **extra).status_code for _ in range(times)]


@pytest.fixture
def organizer_account(db):
    return make_user(superuser=True, username="organizer")


def test_wrong_passwords_lock_the_username_out_with_a_clean_page(client, organizer_account, settings):
    statuses = _fail(client, settings.AXES_FAILURE_LIMIT - 1)
    locking = _sign_in(client)
    right_password = _sign_in(client, password="password")

    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again, with its error
    for page in (locking, right_password):
        assert page.status_code == 429
        assert page["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
        text = re.sub(r"\s+", " ", page.text)
        assert "Too many failed sign-ins." in text
        assert "signing in as <strong>organizer</strong> from your network is paused for 15 minutes" in text
        assert "<title>Too many failed sign-ins | Eventgallery</title>" in text
        assert 'href="/admin/login/"' in text
        assert 'id="login-form"' not in text
    assert "_auth_user_id" not in client.session


def test_other_usernames_and_other_addresses_are_not_locked(client, organizer_account, settings):
    make_user(superuser=True, username="colleague")
    _fail(client, settings.AXES_FAILURE_LIMIT)

    colleague = _sign_in(Client(), "colleague", "password")
    elsewhere = _sign_in(Client(REMOTE_ADDR="192.0.2.7"), "organizer", "password")

    assert colleague.status_code == 302
    assert elsewhere.status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, organizer_account, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _fail(client, settings.AXES_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="198.51.100.1")

    forged = _sign_in(Client(), password="password", HTTP_X_FORWARDED_FOR="198.51.100.2, 198.51.100.1")
    other_guest = _sign_in(Client(), password="password", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert forged.status_code == 429
    assert other_guest.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.1"]


def test_the_lock_ends_after_the_cool_off(client, organizer_account, settings):
    _fail(client, settings.AXES_FAILURE_LIMIT)
    assert _sign_in(client, password="password").status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert _sign_in(client, password="password").status_code == 302


def test_tries_during_the_lock_do_not_lengthen_it(client, organizer_account, settings):
    _fail(client, settings.AXES_FAILURE_LIMIT)
    locked_at = AccessAttempt.objects.get().attempt_time

    _fail(client, 3)

    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_a_successful_sign_in_forgets_the_failures(client, organizer_account, settings):
    _fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert _sign_in(client, password="password").status_code == 302
    client.logout()

    assert _fail(Client(), settings.AXES_FAILURE_LIMIT - 1) == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert _sign_in(Client(), password="password").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_single_sign_on_still_works_for_a_username_locked_at_the_password_form(sso, live_server, settings):
    import requests

    _fail(Client(), settings.AXES_FAILURE_LIMIT, username="ada@example.org")
    assert _sign_in(Client(), "ada@example.org").status_code == 429

    with requests.Session() as browser:
        dashboard = browser.get(sso.authorize(browser, live_server.url, "ada"), timeout=10)

    assert dashboard.status_code == 200
    assert dashboard.url == f"{live_server.url}/admin/"
    assert get_user_model().objects.get(email="ada@example.org").is_staff


@pytest.mark.django_db(transaction=True)
def test_refused_single_sign_ons_are_not_counted_as_failures(sso, live_server, settings):
    import requests

    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        with requests.Session() as browser:
            callback = sso.authorize(browser, live_server.url, "ada")
            browser.cookies.clear()  # the callback reaches a browser that did not start it
            page = browser.get(callback, timeout=10)
            assert page.status_code == 200 and "did not succeed" in page.text

    with requests.Session() as browser:
        dashboard = browser.get(sso.authorize(browser, live_server.url, "ada"), timeout=10)

    assert dashboard.url == f"{live_server.url}/admin/"
    assert not AccessAttempt.objects.exists()
