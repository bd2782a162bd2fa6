"""Authorization: Bearer <key> on every route: missing, malformed, unknown, revoked."""

import hashlib

import pytest

from api.models import ApiKey
from api.services import api_key_create, api_key_revoke
from api.tests.factories import bearer
from galleries.models import Gallery
from galleries.tests.factories import make_user


def _create(client, **headers):
    return client.post("/api/gallery/", {"name": "x"}, content_type="application/json", **headers)


def test_a_key_is_kept_as_its_prefix_and_the_hash_of_its_secret(db):
    user = make_user(staff=True)

    api_key, key = api_key_create(user=user, name="App")

    prefix, secret = key.removeprefix("eg_").split("_", 1)
    assert api_key.prefix == prefix
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get())


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token eg_00000000_" + "a" * 43,
        "Bearer not-a-key",
        "Bearer eg_00000000_" + "a" * 43,
    ],
)
def test_a_malformed_or_unknown_key_is_refused(client, owner_key, header):
    response = _create(client, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Gallery.objects.exists()


def test_a_key_with_a_wrong_secret_is_refused(client, owner_key):
    prefix = owner_key[: len("eg_00000000_")]

    assert _create(client, **bearer(prefix + "b" * 43)).status_code == 401


def test_a_revoked_key_is_refused_for_reads_too(client, owner):
    api_key, key = api_key_create(user=owner, name="App")
    api_key_revoke(api_key=api_key)

    assert _create(client, **bearer(key)).status_code == 401
    assert client.get("/api/gallery/", **bearer(key)).status_code == 401


def test_the_key_of_someone_who_is_no_longer_an_organizer_is_refused(client, owner, owner_key):
    owner.is_staff = False
    owner.save()

    assert _create(client, **bearer(owner_key)).status_code == 401


def test_a_valid_key_works_and_its_use_is_recorded(client, owner_key):
    assert _create(client, **bearer(owner_key)).status_code == 201

    assert ApiKey.objects.get().last_used_at is not None
