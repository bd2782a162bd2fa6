"""Redis away, in process: the cache misses and drops writes, the limits count in the
database, and both leave Redis alone for a while after the failure."""

from __future__ import annotations

import socket

import pytest

from ops import cache as ops_cache
from ops import ratelimits
from ops.cache import DegradingRedisCache
from ops.models import RateLimitCounter
from ops.ratelimits import Limit, limits_hit


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once closed


@pytest.fixture
def away_url():
    return f"redis://127.0.0.1:{_closed_port()}/0"


def test_the_cache_misses_and_drops_writes_while_redis_is_away(away_url, caplog, monkeypatch):
    cache = DegradingRedisCache(away_url, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})

    cache.set("page", b"html", 60)

    assert cache.get("page") is None
    assert cache.get("page", "default") == "default"
    assert cache.add("visit", True) is False
    assert cache.get_many(["a", "b"]) == {}
    assert [r.getMessage() for r in caplog.records].count(
        "The cache does not answer (ConnectionError, set): going on without it"
    ) == 1
    with pytest.raises(Exception, match="Connection refused|Error"):
        cache.ping()
    # Left alone meanwhile: not even tried.
    monkeypatch.setattr(type(cache._cache), "get", lambda *a, **k: pytest.fail("Redis was asked"))
    assert cache.get("page") is None
    monkeypatch.setattr(ops_cache.time, "monotonic", lambda: 10**9)
    with pytest.raises(pytest.fail.Exception):
        cache.get("page")


def test_the_limits_count_in_the_database_while_redis_is_away(db, settings, away_url):
    settings.RATE_LIMIT_REDIS_URL = away_url
    ratelimits._redis_store.cache_clear()
    limit = Limit("test", "x", 2, 300)

    first, second, third = limits_hit(limit), limits_hit(limit), limits_hit(limit)

    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert RateLimitCounter.objects.get(bucket=limit.bucket).count == 2
    second.refund()
    assert RateLimitCounter.objects.get(bucket=limit.bucket).count == 1
    ratelimits._redis_store.cache_clear()
