"""The single sign-on settings as eventgallery/settings.py reads them from the
environment, in a fresh interpreter each time."""

import json
import os
import subprocess
import sys

from accounts.tests.conftest import REPOSITORY

SHOWN = [
    "AUTHENTICATION_BACKENDS",
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_REDIRECT_URI",
    "OIDC_PROVIDER_NAME",
    "OIDC_ALLOWED_DOMAINS",
]


def settings_with(**variables) -> subprocess.CompletedProcess:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("OIDC_", "OKTA_", "DJANGO_"))
    }
    environment.update(variables, DJANGO_SETTINGS_MODULE="eventgallery.settings")
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=60
    )


def test_it_leaves_single_sign_on_off_when_nothing_is_set():
    shown = json.loads(settings_with().stdout)

    assert shown["AUTHENTICATION_BACKENDS"] == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert shown["OIDC_RP_CLIENT_ID"] == ""


def test_it_reads_the_original_services_okta_variables():
    result = settings_with(
        OKTA_DOMAIN="https://dev-123456.okta.com/",
        OKTA_CLIENT_ID="0oa1",
        OKTA_CLIENT_SECRET="okta-secret",
        OKTA_REDIRECT_URI="https://photos.example.org/authorization-code/callback",
        OIDC_ALLOWED_DOMAINS="Example.org, @example.com",
    )

    shown = json.loads(result.stdout)
    issuer = "https://dev-123456.okta.com/oauth2/default"
    assert shown == {
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
            "accounts.auth.OrganizerOIDCBackend",
        ],
        "OIDC_RP_CLIENT_ID": "0oa1",
        "OIDC_RP_CLIENT_SECRET": "okta-secret",
        "OIDC_OP_ISSUER": issuer,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{issuer}/v1/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": f"{issuer}/v1/token",
        "OIDC_OP_USER_ENDPOINT": f"{issuer}/v1/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": f"{issuer}/v1/keys",
        "OIDC_REDIRECT_URI": "https://photos.example.org/authorization-code/callback",
        "OIDC_PROVIDER_NAME": "Okta",
        "OIDC_ALLOWED_DOMAINS": ["example.org", "example.com"],
    }


def test_it_prefers_the_generic_variables_to_the_okta_ones():
    result = settings_with(
        OKTA_DOMAIN="dev-123456.okta.com",
        OKTA_CLIENT_ID="0oa1",
        OIDC_CLIENT_ID="eventgallery",
        OIDC_CLIENT_SECRET="secret",
        OIDC_JWKS_ENDPOINT="https://keys.example.org/jwks",
        OIDC_PROVIDER_NAME="Example ID",
    )

    shown = json.loads(result.stdout)
    assert shown["OIDC_RP_CLIENT_ID"] == "eventgallery"
    assert shown["OIDC_OP_JWKS_ENDPOINT"] == "https://keys.example.org/jwks"
    assert shown["OIDC_OP_TOKEN_ENDPOINT"] == "https://dev-123456.okta.com/oauth2/default/v1/token"
    assert shown["OIDC_PROVIDER_NAME"] == "Example ID"


def test_it_names_what_is_missing_when_single_sign_on_is_half_configured():
    result = settings_with(OIDC_CLIENT_ID="eventgallery", OIDC_AUTHORIZATION_ENDPOINT="https://id.example.org/auth")

    assert result.returncode != 0
    assert (
        "Single sign-on has a client id but no OIDC_CLIENT_SECRET, OIDC_TOKEN_ENDPOINT, OIDC_USERINFO_ENDPOINT, "
        "OIDC_JWKS_ENDPOINT" in result.stderr
    )
