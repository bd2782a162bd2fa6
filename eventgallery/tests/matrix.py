"""The machinery of the route matrix (test_every_route.py): routes read from the URL
resolver, what a user is expected to get from a request (`Check`), and a request made
and judged as one user.

A check names the request (a URL filled from the two organizers' world, a method, a
body), what each user gets (a status, or a redirect), which of the owner's secrets the
answer may hold, and what must (not) have changed afterwards. Whatever the check does
not open, the answer to anyone who does not manage it must not hold: the access code,
the draft's name, the unlisted and private addresses, the keys of photos a guest
cannot see, the pending upload, API keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from eventgallery.tests.two_organizers import ACCESS_CODE, MANAGERS, USERS, World

# --- Routes -------------------------------------------------------------------------------


def _join(route: str, more: str) -> str:
    # As ResolverMatch.route joins them.
    return route + more.removeprefix("^") if route else more


def every_route() -> dict[str, str]:
    """Every URL pattern of the project, keyed as the expectation table keys them (its
    name with namespace, else its pattern), with the pattern it matches (as
    ResolverMatch.route gives it)."""
    routes = {}

    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            route = _join(prefix, str(pattern.pattern))
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, route, inner)
            elif isinstance(pattern, URLPattern):
                key = f"{namespace}{pattern.name}" if pattern.name else route
                routes.setdefault(key, route)

    walk(get_resolver(), "", "")
    return routes


# --- Expectations -----------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A redirect whose Location starts with `to` (filled from the world like a URL)."""

    to: str
    # The Location is `to` exactly, not just starting with it.
    exact: bool = False

    def __str__(self):
        return f"redirect to {self.to}{'' if self.exact else '...'}"


Outcome = int | Redirect

# The admin's answers to someone who is not signed in as staff, and to an object the
# organizer's lists do not hold (Django says it does not exist, perhaps deleted).
LOGIN = Redirect("/admin/login/?next=")
NOT_THEIRS = Redirect("/admin/", exact=True)


def expect(*, owner: Outcome, other: Outcome, superuser: Outcome, anonymous: Outcome, guest: Outcome):
    return {"owner": owner, "other": other, "superuser": superuser, "anonymous": anonymous, "guest": guest}


def everyone(outcome: Outcome):
    return dict.fromkeys(USERS, outcome)


def staff(outcome: Outcome, *, other: Outcome | None = None):
    """An admin page: signed-in organizers get `outcome` (`other` for the other
    organizer, when it differs), guests the login page."""
    return expect(
        owner=outcome, other=outcome if other is None else other, superuser=outcome, anonymous=LOGIN, guest=LOGIN
    )


def owners_object(outcome: Outcome = 200):
    """An admin page of an object of the owner's: the other organizer is told that it
    does not exist, as for any id."""
    return staff(outcome, other=NOT_THEIRS)


def superuser_only(outcome: Outcome = 200):
    """Users, groups, task results: no organizer has permissions there."""
    return expect(owner=403, other=403, superuser=outcome, anonymous=LOGIN, guest=LOGIN)


def api(*, no_key: Outcome, owner: Outcome, other: Outcome, superuser: Outcome):
    """A JSON API route: anonymous and the guest send no key (the guest's session is no
    key); the organizers send theirs."""
    return expect(owner=owner, other=other, superuser=superuser, anonymous=no_key, guest=no_key)


@dataclass(frozen=True)
class Check:
    what: str
    url: str  # filled from the world: "/g/{draft.slug}/"
    expect: dict[str, Outcome]
    method: str = "GET"
    # A form (multipart) or, with as_json, a JSON body; a function of (world, user) or a dict.
    data: Callable[[World, str], dict] | dict | None = None
    as_json: bool = False
    # Secrets that everyone who gets a success sees (and those refused other than by a
    # 404 may see: the wrong code page names the gallery).
    open_to_all: frozenset[str] = frozenset()
    # Secrets that each user who gets a success and manages them sees (nobody else may).
    shown_to_managers: frozenset[str] = frozenset()
    # What must (not) have changed: called with (world, user, response, data sent).
    after: Callable | None = None

    def __post_init__(self):
        assert set(self.expect) == set(USERS), f"{self.what}: expect every one of {USERS}"


@dataclass(frozen=True)
class Shadowed:
    """A route that an earlier pattern answers instead (the earlier one is checked under
    its own key): this test proves that it stays shadowed."""

    url: str
    by: str


# --- One request, judged --------------------------------------------------------------------


def client_for(world: World, user: str) -> Client:
    client = Client()
    if user in ("owner", "other", "superuser"):
        client.force_login(world.user(user))
    elif user == "guest":
        response = client.post(f"/g/{world.private.slug}/access/", {"code": ACCESS_CODE})
        assert response.status_code == 302, "the guest could not give the private gallery's code"
    return client


def fill(template: str, world: World) -> str:
    return template.format(**vars(world))


def run(check: Check, world: World, user: str, client: Client):
    url = fill(check.url, world)
    headers = {}
    if url.startswith("/api/") and user in world.keys:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.keys[user]}"
    data = check.data(world, user) if callable(check.data) else check.data
    if check.as_json:
        kwargs = {"data": json.dumps(data), "content_type": "application/json"}
    else:
        kwargs = {"data": data} if data is not None else {}
    response = getattr(client, check.method.lower())(url, **kwargs, **headers)
    return url, data, response


def judge(check: Check, world: World, user: str, client: Client) -> None:
    url, data, response = run(check, world, user, client)
    expected = check.expect[user]
    where = f"{check.method} {url} ({check.what}) as {user}"
    location = response.get("Location", "")
    if isinstance(expected, Redirect):
        target = fill(expected.to, world)
        matches = location == target if expected.exact else location.startswith(target)
        # 303: the answer to a form, to be followed with a GET (Find me's search).
        assert response.status_code in (301, 302, 303) and matches, (
            f"{where}: expected a {expected}, got {response.status_code} {location}"
        )
    else:
        assert response.status_code == expected, (
            f"{where}: expected {expected}, got {response.status_code} {location}\n{_text(response)[:2000]}"
        )
    _judge_secrets(check, world, user, url, data, response, expected, where)
    if check.after is not None:
        check.after(world, user, response, data)


def _text(response) -> str:
    if isinstance(response, (FileResponse, StreamingHttpResponse)):
        return ""  # the photo's bytes: whether it may be had is the status's business
    return response.content.decode(errors="replace")


def _judge_secrets(check, world, user, url, data, response, expected, where) -> None:
    body = _text(response)
    answer = unquote(body + "\n" + response.get("Location", ""))
    asked = unquote(url + json.dumps(data, default=str))
    # Those told that the thing is not there, or sent elsewhere, learn nothing of it;
    # those let in (or refused a wrong code) may see what the check opens.
    let_in = isinstance(expected, int) and expected != 404
    succeeded = isinstance(expected, int) and 200 <= expected < 300
    for name, value in world.forbidden_to(user).items():
        if name in check.open_to_all and let_in:
            continue
        if value in asked:  # an answer may repeat what the request said
            continue
        assert value not in answer, f"{where}: the answer shows {name} ({value!r})"
    if not succeeded:
        return
    for name in check.open_to_all:
        assert world.secrets[name].value in body, f"{where}: the answer does not show {name}"
    for name in check.shown_to_managers:
        secret = world.secrets[name]
        if user == "superuser" or secret.of == user:
            assert secret.value in body, f"{where}: the answer does not show {name} to its manager"


def manages(user: str) -> bool:
    """Does `user` manage the owner's galleries."""
    return user in MANAGERS


def check_resolves_to(url: str, route: str) -> None:
    path = url.split("?", 1)[0]
    match = resolve(path)
    assert match.route == route, f"{path} is answered by {match.route!r}, not by {route!r}"
