"""The shared cache (Redis) as a cache: when it does not answer, the site goes on
without it.

Every use of Django's cache here is an optimisation (rendered pages, a ZIP's size, a
visit counted once a day; the sessions live in the database and the rate limits
fall back to it, ops/ratelimits.py), so a read that fails is a miss and a write that
fails is dropped, with a warning in the log. After a failure the cache is left alone
for OUTAGE_BACKOFF_S in this process: a Redis that is frozen rather than gone costs
each request nothing more than the one socket timeout (settings.CACHES' OPTIONS) of
the request that found it so. /readyz asks Redis itself (ping), so it tells the truth.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from ops.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

OUTAGE_BACKOFF_S = 5.0


def no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one redis.Redis for each connection pool rather
    than a new one for each operation: redis-py 8 builds a client's table of 169 response
    handlers as it is made, two thirds of the CPU of a cache read (bench/README.md,
    "Gallery page under gunicorn"). A client is shared by threads as its pool is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        # One try: redis-py's default of three more, with backoff, would hold a request
        # for seconds on a Redis that is away.
        options.setdefault("retry", no_retry())
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient
        self._lock = threading.Lock()
        self._skip_until = 0.0

    def ping(self) -> None:
        """Asks Redis whether it answers, whatever the backoff; raises when it does not."""
        self._cache.get_client(write=True).ping()

    def _attempt(self, operation: str, call, fallback):
        if time.monotonic() < self._skip_until:
            return fallback
        try:
            return call()
        except CACHE_ERRORS as exc:
            with self._lock:
                first = time.monotonic() >= self._skip_until
                self._skip_until = time.monotonic() + OUTAGE_BACKOFF_S
            if first:
                logger.warning("The cache does not answer (%s, %s): going on without it", type(exc).__name__, operation)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("add", lambda: super(DegradingRedisCache, self).add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._attempt("get", lambda: super(DegradingRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._attempt("set", lambda: super(DegradingRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("touch", lambda: super(DegradingRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._attempt("delete", lambda: super(DegradingRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._attempt("get_many", lambda: super(DegradingRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._attempt("has_key", lambda: super(DegradingRedisCache, self).has_key(key, version), False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        def set_many():
            return super(DegradingRedisCache, self).set_many(data, timeout, version)

        return self._attempt("set_many", set_many, list(data))

    def delete_many(self, keys, version=None):
        self._attempt("delete_many", lambda: super(DegradingRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._attempt("clear", lambda: super(DegradingRedisCache, self).clear(), False)
