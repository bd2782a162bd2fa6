"""Every route of the project, as each user would try it: the owner of the galleries,
another organizer (staff, in the Organizers group, with an API key of their own), a
superuser, someone anonymous and a guest who gave the private gallery's code.

The routes are read from the URL resolver, so a route that the expectation tables
(expectations_*.py) do not cover fails test_every_route_has_expectations. Each route
and user is a test of its own: every request of the route's checks is made as that
user, and the answer must have the expected status, show none of the owner's secrets
it should not, and leave the data as the check says.
"""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from eventgallery.tests.expectations_admin import ADMIN
from eventgallery.tests.expectations_api import API
from eventgallery.tests.expectations_site import SITE
from eventgallery.tests.matrix import Shadowed, check_resolves_to, client_for, every_route, fill, judge
from eventgallery.tests.two_organizers import USERS, build_world, forget_world

EXPECTATIONS = {**SITE, **API, **ADMIN}
assert len(EXPECTATIONS) == len(SITE) + len(API) + len(ADMIN), "a route is in two expectation tables"

HOW_TO_ADD = """\
Add each to an expectation table in eventgallery/tests/ (expectations_site.py for pages,
expectations_api.py for /api/, expectations_admin.py for /admin/), keyed as shown, with
Check(what, url, expect(owner=..., other=..., superuser=..., anonymous=..., guest=...)):
what the owner, another organizer, a superuser, someone anonymous and a guest with the
private gallery's code each get. Fill the URL's parameters from the owner's objects in
eventgallery/tests/two_organizers.py ("/g/{draft.slug}/", "{draft_photo.key}", ...), and
try the owner's draft and private gallery at least. A new ModelAdmin goes in with
model_admin(...) in expectations_admin.py."""


def test_every_route_has_expectations():
    routes = every_route()

    missing = sorted(set(routes) - set(EXPECTATIONS))
    gone = sorted(set(EXPECTATIONS) - set(routes))

    assert not missing, (
        "Routes without expectations:\n"
        + "\n".join(
            f'  {key!r}  (matches {routes[key]!r}), e.g.\n      "{key}": [Check("what it is", "/{routes[key]}", '
            "expect(owner=200, other=404, superuser=200, anonymous=404, guest=404))],"
            for key in missing
        )
        + f"\n{HOW_TO_ADD}"
    )
    assert not gone, f"Expectations for routes that no longer exist: {gone}; remove them from the tables."
    assert all(EXPECTATIONS[key] for key in routes), "every route needs at least one check"


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


def _storage_settings(media: Path) -> dict:
    from django.conf import settings

    return {
        "MEDIA_ROOT": media,
        "STORAGES": {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media, "base_url": "/media/"},
            },
        },
    }


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, media):
    """The world's files, made once for the module (instead of the root conftest's fresh
    folder for each test)."""
    for name, value in _storage_settings(media).items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _as_the_tables_expect(settings):
    """Whatever a .env beside manage.py says: single sign-on off, metrics closed."""
    settings.OIDC_RP_CLIENT_ID = ""
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media):
    """The two organizers' world, made once: each test runs in a transaction of its own
    inside this one and is rolled back, so whatever a request changed is gone after it."""
    with django_db_blocker.unblock(), override_settings(**_storage_settings(media)), transaction.atomic():
        world = build_world()
        yield world
        forget_world(world)
        transaction.set_rollback(True)


def _cases():
    routes = every_route()
    for key, checks in EXPECTATIONS.items():
        for user in USERS:
            yield pytest.param(key, routes.get(key), checks, user, id=f"{key} as {user}")


@pytest.mark.parametrize(("key", "route", "checks", "user"), list(_cases()))
def test_route(world, db, key, route, checks, user):
    assert route is not None, f"{key} is not a route (test_every_route_has_expectations says more)"
    if isinstance(checks, Shadowed):
        check_resolves_to(fill(checks.url, world), every_route()[checks.by])
        return
    for check in checks:
        check_resolves_to(fill(check.url, world), route)
        # Each check on its own: a fresh client (no session carried over), an empty
        # cache, and whatever it changed rolled back before the next.
        cache.clear()
        with transaction.atomic():
            judge(check, world, user, client_for(world, user))
            transaction.set_rollback(True)


def test_a_page_cached_for_someone_who_may_see_it_never_reaches_someone_who_may_not(world, db):
    """The gallery pages and their tiles are cached (galleries/views.py): whoever saw
    them first, the access check still comes before the cache."""
    pages = {
        "owner": [f"/g/{world.draft.slug}/", f"/g/{world.draft.slug}/?fragment=1"],
        "guest": [f"/g/{world.private.slug}/", f"/g/{world.private.slug}/?fragment=1"],
    }
    for user, urls in pages.items():
        client = client_for(world, user)
        for url in urls:
            assert client.get(url).status_code == 200, f"{url} as {user}"

    for user in ("other", "anonymous"):
        client = client_for(world, user)
        for url in [*pages["owner"], *pages["guest"]]:
            response = client.get(url)
            assert response.status_code in (302, 404), f"{url} as {user}: {response.status_code}"
            for secret in ("the draft photo's key", "the private photo's key", "the draft's name"):
                assert world.secrets[secret].value not in response.content.decode(), f"{url} as {user}: {secret}"
