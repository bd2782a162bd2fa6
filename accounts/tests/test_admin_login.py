import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from galleries.tests.factories import make_user


@pytest.fixture
def sso_settings(settings):
    """Single sign-on configured, without a provider behind it: for the pages that never reach it."""
    settings.OIDC_RP_CLIENT_ID = "eventgallery"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://id.example.org/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://id.example.org/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://id.example.org/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://id.example.org/keys"
    settings.OIDC_PROVIDER_NAME = "Okta"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.auth.OrganizerOIDCBackend"]
    return settings


def test_it_shows_no_sso_button_when_sso_is_off(client, db):
    page = client.get(reverse("admin:login"))

    assert page.status_code == 200
    assert "Sign in with" not in page.text
    assert 'id="login-form"' in page.text


def test_it_has_no_sso_pages_when_sso_is_off(client, db):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_it_shows_the_sso_button_beside_the_password_form_when_sso_is_on(client, db, sso_settings):
    page = client.get(reverse("admin:login") + "?next=/admin/galleries/")

    assert 'id="login-form"' in page.text
    assert 'href="/oidc/authenticate/?next=/admin/galleries/"' in page.text
    assert "Sign in with Okta" in page.text


def test_it_sends_the_browser_to_the_provider_with_state_nonce_and_pkce(client, db, sso_settings):
    response = client.get("/oidc/authenticate/?next=/admin/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://id.example.org/authorize?")
    for parameter in ["state=", "nonce=", "code_challenge=", "code_challenge_method=S256", "client_id=eventgallery"]:
        assert parameter in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Foidc%2Fcallback%2F" in location


def test_it_sends_the_configured_redirect_uri(client, db, sso_settings):
    sso_settings.OIDC_REDIRECT_URI = "https://photos.example.org/oidc/callback/"

    location = client.get("/oidc/authenticate/")["Location"]

    assert "redirect_uri=https%3A%2F%2Fphotos.example.org%2Foidc%2Fcallback%2F" in location


def test_it_still_signs_local_accounts_in_with_their_password_when_sso_is_on(client, db, sso_settings):
    make_user(superuser=True, username="organizer")

    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "organizer", "password": "password", "next": "/admin/"},
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert int(client.session["_auth_user_id"]) == get_user_model().objects.get().pk


def test_it_does_not_reach_the_provider_from_the_password_form(client, db, sso_settings):
    make_user(superuser=True, username="organizer")

    response = client.post(
        reverse("admin:login") + "?code=stolen&state=guessed",
        {"username": "organizer", "password": "wrong", "next": "/admin/"},
    )

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text
