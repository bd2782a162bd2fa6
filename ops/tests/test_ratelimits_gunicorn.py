"""The limits under the shipped gunicorn configuration: real gunicorn with
gunicorn.conf.py (5 workers, 2 threads each) against the test database, tries sent
concurrently over several connections and from several loopback addresses, and
exactly the allowed number let through across the workers; then gunicorn is restarted
and the counters have held. Once with the default store (the database's table) and
once with CACHE_URL naming Redis."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings as django_settings

from faces.tests.find_me import face_search_gallery
from galleries.models import Gallery
from galleries.tests.factories import make_gallery
from ops import ratelimits
from ops.models import RateLimitCounter
from ops.ratelimits import Limit
from ops.tests.gunicorn_server import WORKERS, Browser, Gunicorn, free_port, server_environment
from ops.tests.test_ratelimits import REDIS_URL

CONNECTIONS = 6
CODE = "sunset-42"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()
        request.addfinalizer(client.flushdb)
        return client
    return None


@pytest.fixture
def gunicorn(store, static_root, transactional_db, tmp_path):
    port = free_port()
    environment = server_environment(port=port, tmp_path=tmp_path, static_root=static_root)
    if store is not None:
        environment["CACHE_URL"] = REDIS_URL
    server = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    yield server
    server.stop()


def _all_at_once(calls) -> Counter:
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        return Counter(pool.map(lambda call: call(), calls))


def _counted(store, scope: str, identity: str) -> int:
    bucket = Limit(scope, identity, 0, 0).bucket
    if store is not None:
        return int(store.get(ratelimits.REDIS_KEY_PREFIX + bucket) or 0)
    return RateLimitCounter.objects.get(bucket=bucket).count


def test_the_limits_hold_across_gunicorn_workers_and_restarts(gunicorn, store):
    private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code=CODE)
    other_private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="other-code")
    find_me = face_search_gallery()
    access = f"/g/{private.slug}/access/"
    search = f"/g/{find_me.slug}/find-me/"
    per_device = django_settings.ACCESS_CODE_TRIES_PER_DEVICE
    per_address = django_settings.ACCESS_CODE_TRIES_PER_ADDRESS
    per_gallery = django_settings.ACCESS_CODE_TRIES_PER_GALLERY
    searches_per_device = django_settings.FACE_SEARCHES_PER_WINDOW
    searches_per_address = django_settings.FACE_SEARCHES_PER_ADDRESS
    assert (per_device, per_address, per_gallery) == (10, 30, 60)
    assert (searches_per_device, searches_per_address) == (10, 300)
    gunicorn.start()
    assert len(gunicorn.workers()) == WORKERS

    # Access codes, one device: its first wrong code gets it its cookie; then twice its
    # limit at once over several connections.
    guesser = Browser(gunicorn.port)
    guesser.open_form(access)
    first = guesser.post(access, {"code": "guess-0"})
    device_cookie = guesser.cookies[ratelimits.DEVICE_COOKIE]
    statuses = _all_at_once(
        [lambda n=n: guesser.post(access, {"code": f"guess-{n}"}) for n in range(1, 2 * per_device)]
    ) + Counter([first])
    assert statuses == {403: per_device, 429: per_device}
    assert guesser.cookies[ratelimits.DEVICE_COOKIE] == device_cookie

    # The same address, a fresh device for every try (cookies cleared each time).
    statuses = _all_at_once([lambda n=n: guesser.fresh().post(access, {"code": f"fresh-{n}"}) for n in range(40)])
    assert statuses == {403: per_address - per_device, 429: 40 - (per_address - per_device)}

    # Many addresses and devices against the one gallery.
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    statuses = _all_at_once(
        [lambda n=n: guesser.fresh(sources[n % 3]).post(access, {"code": f"spread-{n}"}) for n in range(45)]
    )
    assert statuses == {403: per_gallery - per_address, 429: 45 - (per_gallery - per_address)}

    # Find me, one device, then fresh devices from its address.
    guest = Browser(gunicorn.port)
    guest.open_form(search)
    first = guest.post(search, {"consent": "on"})
    statuses = _all_at_once([lambda: guest.post(search, {"consent": "on"}) for _ in range(2 * searches_per_device - 1)])
    assert statuses + Counter([first]) == {400: searches_per_device, 429: searches_per_device}
    statuses = _all_at_once(
        [lambda: guest.fresh().post(search, {"consent": "on"}, keep_cookies=False) for _ in range(searches_per_address)]
    )
    assert statuses == {400: searches_per_address - searches_per_device, 429: searches_per_device}

    device = guest.cookies[ratelimits.DEVICE_COOKIE].split(":")[0]
    assert _counted(store, "find-me-device", f"cookie:{device}") == searches_per_device
    assert _counted(store, "find-me-address", "127.0.0.1") == searches_per_address
    assert _counted(store, "access-code-gallery", str(private.pk)) == per_gallery

    # A restart forgets nothing.
    gunicorn.stop()
    gunicorn.start()

    assert guesser.post(access, {"code": CODE}) == 429  # the device
    assert guesser.fresh().post(access, {"code": CODE}) == 429  # its address
    assert guesser.fresh("127.0.0.5").post(access, {"code": "wrong"}) == 429  # the gallery, for wrong codes
    assert guesser.fresh("127.0.0.5").post(access, {"code": CODE}) == 302  # the right code still gets in
    other = guesser.fresh("127.0.0.5")
    other.open_form(f"/g/{other_private.slug}/access/")
    assert other.post(f"/g/{other_private.slug}/access/", {"code": "OTHER-CODE"}) == 302
    assert guest.post(search, {"consent": "on"}) == 429  # the device
    assert guest.fresh().post(search, {"consent": "on"}) == 429  # its address
    assert guest.fresh("127.0.0.5").post(search, {"consent": "on"}) == 400
