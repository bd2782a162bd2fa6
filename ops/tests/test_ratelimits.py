"""ops/ratelimits.py: counting in the shared store (the database's table, or Redis at
127.0.0.1:6379 in a database of its own), who is asking (address and device)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from ops import ratelimits
from ops.models import RateLimitCounter
from ops.ratelimits import Limit, limits_hit

# A Redis database of this run's own (5 to 15), which it flushes: two suites run at
# once on one machine must not empty each other's counters.
REDIS_URL = f"redis://127.0.0.1:6379/{5 + os.getpid() % 11}"


@pytest.fixture(params=["database", "redis"])
def store(request, settings, db):
    """Runs a test on each store. Returns a function that gives the counts stored."""
    if request.param == "database":
        settings.RATE_LIMIT_REDIS_URL = ""
        return lambda: sorted(RateLimitCounter.objects.values_list("count", flat=True))
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    settings.RATE_LIMIT_REDIS_URL = REDIS_URL
    request.addfinalizer(client.flushdb)
    return lambda: sorted(int(client.get(key)) for key in client.scan_iter(f"{ratelimits.REDIS_KEY_PREFIX}*"))


def test_it_allows_the_limit_and_refuses_the_next_hit(store):
    limit = Limit("test", "device-1", 3, 300)

    decisions = [limits_hit(limit) for _ in range(5)]

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[-1].refused_by == "test"
    assert 0 < decisions[-1].retry_after_s <= 300
    # Refused hits count nowhere: the counter says how many went through.
    assert store() == [3]


def test_identities_and_scopes_are_counted_apart(store):
    for identity in ["a", "b"]:
        for scope in ["one", "two"]:
            assert limits_hit(Limit(scope, identity, 1, 300)).allowed

    assert not limits_hit(Limit("one", "a", 1, 300)).allowed
    assert store() == [1, 1, 1, 1]


def test_a_refusal_hands_back_the_hits_counted_before_it(store):
    device_a, device_b = Limit("device", "a", 10, 300), Limit("device", "b", 10, 300)
    address = Limit("address", "192.0.2.1", 1, 300)
    assert limits_hit(device_a, address).allowed

    refused = limits_hit(device_b, address)

    assert not refused.allowed and refused.refused_by == "address"
    assert store() == [0, 1, 1]  # device b: its hit was handed back


def test_a_refund_hands_a_hit_back(store):
    limit = Limit("test", "x", 2, 300)
    limits_hit(limit).refund()
    limits_hit(limit).refund()

    assert limits_hit(limit).allowed
    assert limits_hit(limit).allowed
    assert not limits_hit(limit).allowed


def test_the_store_holds_no_address_or_device_id(store, settings):
    limits_hit(Limit("find-me-address", "198.51.100.23", 1, 300))

    if settings.RATE_LIMIT_REDIS_URL:
        keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).keys("*")]
    else:
        keys = list(RateLimitCounter.objects.values_list("bucket", flat=True))
    assert len(keys) == 1
    assert keys[0].rsplit(":", 1)[0].endswith("find-me-address")
    assert "198.51.100.23" not in keys[0]


def test_a_window_that_is_over_starts_again(db, settings):
    settings.RATE_LIMIT_REDIS_URL = ""
    limit = Limit("test", "x", 1, 300)
    limits_hit(limit)
    assert not limits_hit(limit).allowed
    RateLimitCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    decision = limits_hit(limit)

    assert decision.allowed
    counter = RateLimitCounter.objects.get()
    assert counter.count == 1
    assert timedelta(seconds=290) < counter.expires_at - timezone.now() <= timedelta(seconds=300)


def test_a_refund_never_reaches_into_the_next_window(db, settings):
    settings.RATE_LIMIT_REDIS_URL = ""
    limit = Limit("test", "x", 5, 300)
    earlier = limits_hit(limit)
    RateLimitCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    limits_hit(limit)

    earlier.refund()

    assert RateLimitCounter.objects.get().count == 1


def test_expired_counters_are_deleted(db, settings):
    settings.RATE_LIMIT_REDIS_URL = ""
    limits_hit(Limit("test", "old", 1, 300))
    limits_hit(Limit("test", "current", 1, 300))
    RateLimitCounter.objects.filter(bucket=Limit("test", "old", 1, 300).bucket).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert ratelimits.counters_delete_expired() == 1
    assert RateLimitCounter.objects.get().bucket == Limit("test", "current", 1, 300).bucket


def test_redis_counters_expire_with_their_window(settings):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    settings.RATE_LIMIT_REDIS_URL = REDIS_URL
    try:
        limit = Limit("test", "x", 5, 300)
        limits_hit(limit)
        limits_hit(limit)

        [key] = client.keys("*")
        assert 290_000 < client.pttl(key) <= 300_000
        # A key left without an expiry (by anything) gets one at its next hit.
        client.persist(key)
        limits_hit(limit)
        assert 290_000 < client.pttl(key) <= 300_000
    finally:
        client.flushdb()


@pytest.mark.parametrize(
    ("cache_url", "expected"),
    [
        ("", ""),
        ("locmemcache://", ""),
        (REDIS_URL, REDIS_URL),
        ("rediss://:secret@cache:6380/2", "rediss://:secret@cache:6380/2"),
    ],
)
def test_redis_counts_when_the_cache_url_names_it(cache_url, expected):
    environment = {name: value for name, value in os.environ.items() if name != "CACHE_URL"}
    if cache_url:
        environment["CACHE_URL"] = cache_url
    code = "from django.conf import settings; print(repr(settings.RATE_LIMIT_REDIS_URL))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**environment, "DJANGO_SETTINGS_MODULE": "eventgallery.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip().splitlines()[-1] == repr(expected), result.stderr


# --- Who is asking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (1, "10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert ratelimits.client_ip(request) == expected


def _through_middleware(request):
    ratelimits.device_id(request)
    return ratelimits.DeviceCookieMiddleware(lambda r: HttpResponse())(request)


def test_a_new_device_gets_a_signed_cookie_and_keeps_its_id(settings):
    response = _through_middleware(RequestFactory().get("/"))
    cookie = response.cookies[ratelimits.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    returning = RequestFactory().get("/")
    returning.COOKIES[ratelimits.DEVICE_COOKIE] = cookie.value
    again = _through_middleware(returning)

    assert ratelimits.DEVICE_COOKIE not in again.cookies
    assert returning._device_id == cookie.value.split(":")[0]


def test_a_forged_device_cookie_is_not_taken(settings):
    request = RequestFactory().get("/")
    request.COOKIES[ratelimits.DEVICE_COOKIE] = "chosen-by-me"

    device = ratelimits.device_id(request)

    assert device != "chosen-by-me"
    assert ratelimits.device_id(RequestFactory().get("/"), issue=False) is None
