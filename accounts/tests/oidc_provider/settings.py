"""Settings of the tests' OpenID Connect provider. Everything comes from the JSON
file named by PROVIDER_CONFIG, which the test fixture writes (see serve.py)."""

import json
import os
from pathlib import Path

CONFIG = json.loads(Path(os.environ["PROVIDER_CONFIG"]).read_text())

DEBUG = False
SECRET_KEY = "oidc-provider-for-tests-only"
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "accounts.tests.oidc_provider.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
LOGIN_URL = "/login/"
# The application under test is on the same host (another port), and cookies do not
# tell ports apart: the provider's must not overwrite the application's.
SESSION_COOKIE_NAME = "provider_sessionid"
CSRF_COOKIE_NAME = "provider_csrftoken"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG["private_key_pem"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.tests.oidc_provider.validators.ClaimsFromConfig",
    "SCOPES": {"openid": "OpenID Connect", "email": "Email", "profile": "Profile", "groups": "Groups"},
    "PKCE_REQUIRED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
}
