import html
import json
import re
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT_ID = "eventgallery"
CLIENT_SECRET = "client-secret-for-tests"

# The people the provider knows, with the claims it sends about them.
PROVIDER_USERS = {
    "ada": {
        "password": "ada-password",
        "claims": {
            "email": "ada@example.org",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "groups": ["photographers"],
        },
    },
    "grace": {"password": "grace-password", "claims": {"email": "Grace@Example.org", "email_verified": True}},
    "mallory": {"password": "mallory-password", "claims": {"email": "mallory@elsewhere.test", "email_verified": True}},
    # Claims the address of a local account without having proved it is theirs.
    "eve": {"password": "eve-password", "claims": {"email": "grace@example.org", "email_verified": False}},
}


@dataclass
class Provider:
    url: str

    @property
    def issuer(self):
        return f"{self.url}/o"

    def authorize(self, browser: requests.Session, app_url: str, username: str) -> str:
        """Follows the admin login page's button to the provider, signs in there, and
        returns the callback URL (code and state) the provider sends the browser back to."""
        page = browser.get(f"{app_url}/admin/login/?next=/admin/", timeout=10)
        button = re.search(r'id="sso-login" href="([^"]+)"', page.text)
        assert button, "The admin login page has no single sign-on button."
        login_page = browser.get(app_url + html.unescape(button.group(1)), timeout=10)
        assert login_page.url.startswith(f"{self.url}/login/"), login_page.url
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        signed_in = browser.post(
            login_page.url,
            data={"csrfmiddlewaretoken": csrf, "username": username, "password": PROVIDER_USERS[username]["password"]},
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 302, signed_in.text
        authorized = browser.get(self.url + signed_in.headers["Location"], allow_redirects=False, timeout=10)
        assert authorized.status_code == 302, authorized.text
        return authorized.headers["Location"]


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    """A real OpenID Connect provider (django-oauth-toolkit, RS256 with a key made
    now) in its own process on loopback, knowing the application at live_server."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    config = folder / "config.json"
    config.write_text(
        json.dumps(
            {
                "database": str(folder / "provider.sqlite3"),
                "private_key_pem": _private_key_pem(),
                "users": PROVIDER_USERS,
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [f"{live_server.url}/oidc/callback/"],
                    "post_logout_redirect_uris": [f"{live_server.url}/admin/login/"],
                },
            }
        )
    )
    with open(folder / "provider.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "accounts.tests.oidc_provider.serve", str(config)],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    ready, _, _ = select.select([process.stdout], [], [], 30)
    port = process.stdout.readline().strip() if ready else b""
    if not port:
        process.kill()
        pytest.fail(f"The OpenID Connect provider did not start: {(folder / 'provider.log').read_text()}")
    yield Provider(url=f"http://127.0.0.1:{int(port)}")
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sso(settings, oidc_provider):
    """Single sign-on switched on against the test provider, as the environment would."""
    endpoints = f"{oidc_provider.url}/o"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = oidc_provider.issuer
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{endpoints}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{endpoints}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{endpoints}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{endpoints}/.well-known/jwks.json"
    settings.OIDC_PROVIDER_NAME = "Test Provider"
    settings.OIDC_ALLOWED_DOMAINS = ["example.org"]
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.auth.OrganizerOIDCBackend"]
    return oidc_provider


@pytest.fixture
def browser():
    with requests.Session() as session:
        yield session
