"""The whole single sign-on flow over real HTTP: the admin's login page, the
provider's login form, the callback, the code exchanged at the provider's token
endpoint and the ID token checked against its JWKS."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.auth import get_user_model

from accounts.services import ORGANIZERS_GROUP
from galleries.tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def messages_of(page) -> list[str]:
    return [m.strip() for m in re.findall(r'<li class="error">(.*?)</li>', page.text, re.S)]


def test_it_signs_a_new_organizer_in_through_the_provider_and_shows_the_dashboard(sso, live_server, browser):
    callback = sso.authorize(browser, live_server.url, "ada")

    dashboard = browser.get(callback, timeout=10)

    assert dashboard.status_code == 200
    assert dashboard.url == f"{live_server.url}/admin/"
    assert "Galleries" in dashboard.text and "Log out" in dashboard.text
    user = get_user_model().objects.get(email="ada@example.org")
    assert (user.username, user.first_name, user.last_name) == ("ada@example.org", "Ada", "Lovelace")
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [ORGANIZERS_GROUP]
    gallery_list = browser.get(f"{live_server.url}/admin/galleries/gallery/", timeout=10)
    assert gallery_list.status_code == 200 and "Add gallery" in gallery_list.text


def test_it_signs_an_existing_local_account_in_by_its_verified_email(sso, live_server, browser):
    grace = make_user(superuser=True, username="grace")
    grace.email = "grace@example.org"
    grace.save()

    dashboard = browser.get(sso.authorize(browser, live_server.url, "grace"), timeout=10)

    assert dashboard.url == f"{live_server.url}/admin/"
    assert "grace" in dashboard.text
    assert get_user_model().objects.count() == 1
    grace.refresh_from_db()
    assert grace.is_superuser and grace.has_usable_password()


def test_it_refuses_a_callback_whose_state_this_browser_did_not_start(sso, live_server, browser):
    callback = urlsplit(sso.authorize(browser, live_server.url, "ada"))
    query = parse_qs(callback.query)
    forged = urlunsplit(callback._replace(query=urlencode({"code": query["code"][0], "state": "forged-state"})))

    page = browser.get(forged, timeout=10)

    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert messages_of(page) == ["The sign-in could not be verified. Please try again."]
    assert browser.get(f"{live_server.url}/admin/", timeout=10).url.startswith(f"{live_server.url}/admin/login/")
    assert not get_user_model().objects.exists()


def test_it_refuses_a_callback_delivered_to_another_browser(sso, live_server, browser):
    """Login CSRF: someone's own code and state, sent to a victim's browser."""
    callback = sso.authorize(browser, live_server.url, "ada")
    browser.cookies.clear()

    page = browser.get(callback, timeout=10)

    assert messages_of(page) == ["Signing in with Test Provider did not succeed."]
    assert not get_user_model().objects.exists()


def test_it_refuses_an_email_domain_that_is_not_allowed_and_makes_no_account(sso, live_server, browser):
    page = browser.get(sso.authorize(browser, live_server.url, "mallory"), timeout=10)

    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert messages_of(page) == ["Accounts at elsewhere.test may not sign in to Eventgallery."]
    assert not get_user_model().objects.exists()


def test_it_does_not_sign_into_a_local_account_by_an_unverified_email(sso, live_server, browser):
    grace = make_user(superuser=True, username="grace")
    grace.email = "grace@example.org"
    grace.save()

    page = browser.get(sso.authorize(browser, live_server.url, "eve"), timeout=10)

    assert messages_of(page) == ["Your email address grace@example.org is not verified at Test Provider."]
    assert browser.get(f"{live_server.url}/admin/", timeout=10).url.startswith(f"{live_server.url}/admin/login/")


def test_it_logs_out_at_the_provider_too_when_it_has_an_end_session_endpoint(sso, settings, live_server, browser):
    settings.OIDC_OP_END_SESSION_ENDPOINT = f"{sso.url}/o/logout/"
    settings.OIDC_STORE_ID_TOKEN = True
    dashboard = browser.get(sso.authorize(browser, live_server.url, "ada"), timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', dashboard.text).group(1)

    page = browser.post(f"{live_server.url}/admin/logout/", data={"csrfmiddlewaretoken": csrf}, timeout=10)

    assert page.url == f"{live_server.url}/admin/login/"
    # Signed out at the provider as well: the next sign-in asks for the password again.
    login_page = browser.get(f"{sso.url}/o/authorize/?client_id=x", timeout=10)
    assert login_page.url.startswith(f"{sso.url}/login/")


def test_it_refuses_an_id_token_from_another_issuer(sso, settings, live_server, browser):
    settings.OIDC_OP_ISSUER = "https://id.example.org"

    page = browser.get(sso.authorize(browser, live_server.url, "ada"), timeout=10)

    assert messages_of(page) == ["The sign-in could not be verified. Please try again."]
    assert not get_user_model().objects.exists()


def test_it_tells_when_the_provider_refuses_the_code(sso, settings, live_server, browser):
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"

    page = browser.get(sso.authorize(browser, live_server.url, "ada"), timeout=10)

    assert messages_of(page) == ["Test Provider did not complete the sign-in. Please try again."]
