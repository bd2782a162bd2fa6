import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings

# What an operator sets; everything else keeps its default.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "photos.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://photos.example.com",
    "USE_X_FORWARDED_PROTO": "true",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}
# The test run's own relaxations (pyproject.toml's pytest_env) must not leak in.
_LEFT_TO_DEFAULTS = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
    )


def _production_env(**changes):
    env = {key: value for key, value in os.environ.items() if key not in _LEFT_TO_DEFAULTS}
    return {**env, **PRODUCTION_ENV, **changes}


def test_the_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_warns_when_https_is_switched_off():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env(SECURE_SSL_REDIRECT="false"))

    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_the_deploy_check_warns_when_each_process_keeps_its_own_cache():
    env = _production_env()
    del env["CACHE_URL"]

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "eventgallery.W001" in result.stderr
    assert "Set CACHE_URL" in result.stderr
