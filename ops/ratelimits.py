"""Rate limits that hold across processes, machines and restarts.

A limit allows `limit` hits of one bucket (a scope and an identity: the Find me
searches of one device, the wrong access codes typed from one address) in a window
of `window_s` seconds that starts at the bucket's first hit. Counters live where
every process sees them:

- Redis, when CACHE_URL names it (RATE_LIMIT_REDIS_URL): one Lua script increments
  the counter and gives it its expiry in a single step;
- otherwise, and while Redis does not answer (refused, or slower than
  CACHE_TIMEOUT_S; then left alone for REDIS_OUTAGE_BACKOFF_S), the database: one
  `INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 ... RETURNING` on a
  RateLimitCounter row (PostgreSQL and SQLite alike), which starts a
  new window in the same statement when the old one is over. Expired rows are
  deleted now and then by the hits themselves.

Never a process's memory: each gunicorn worker would count on its own, and a
restart would forget. The fallback keeps counting across processes through a Redis
outage; its counts start from what the database holds for the bucket (nothing, most
often), and the counts made in Redis are taken up again when it is back, if it kept
them: across the switch a client may get up to its limit once in each store.

Invariants: every hit is counted before anything is decided; a counter never lives
past its window; a refused hit, or one handed back (a right access code), does not
count, so a counter says how many hits went through. Identities are stored as keyed
hashes, never as addresses.

Who is asking: `client_ip` (the guest's address behind TRUSTED_PROXY_COUNT proxies,
also what django-axes reads for the admin log-in) and `device_id` (a signed cookie
of our own, set by DeviceCookieMiddleware, anonymous guests included).
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core import signing
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from ops.cache import no_retry
from ops.models import RateLimitCounter
from ops.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "eventgallery_device"
DEVICE_COOKIE_SALT = "ops.ratelimits.device"
DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600
# About one database hit in this many also deletes the counters whose window is over.
CLEANUP_EVERY = 100
REDIS_KEY_PREFIX = "eventgallery:ratelimit:"
REDIS_OUTAGE_BACKOFF_S = 5.0


# --- Who is asking ----------------------------------------------------------------------


def client_ip(request) -> str:
    """The guest's address: behind TRUSTED_PROXY_COUNT proxies that append to
    X-Forwarded-For, the address the outermost one saw, which the guest cannot forge;
    without proxies, REMOTE_ADDR (the header is then the guest's to choose)."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def device_id(request, *, issue: bool = True) -> str | None:
    """This browser's device id, from its signed cookie. A browser without one (a first
    visit, cleared cookies) is given a new one, which DeviceCookieMiddleware sends with
    the answer; with issue=False it has none. A new device still counts under the
    limits per address."""
    existing = getattr(request, "_device_id", None)
    if existing:
        return existing
    try:
        device = request.get_signed_cookie(DEVICE_COOKIE, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE_S)
    except (KeyError, signing.BadSignature):
        if not issue:
            return None
        device = secrets.token_urlsafe(16)
        request._device_id_is_new = True
    request._device_id = device
    return device


class DeviceCookieMiddleware:
    """Sends the device cookie that device_id() gave this request, if it is new."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_device_id_is_new", False):
            response.set_signed_cookie(
                DEVICE_COOKIE,
                request._device_id,
                salt=DEVICE_COOKIE_SALT,
                max_age=DEVICE_COOKIE_MAX_AGE_S,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


# --- Limits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits by `identity` within `window_s` seconds, counted under `scope`."""

    scope: str
    identity: str
    limit: int
    window_s: int

    @property
    def bucket(self) -> str:
        # Keyed with SECRET_KEY: the store never holds an address or a device id.
        digest = salted_hmac("ops.ratelimits", f"{self.scope}\0{self.identity}").hexdigest()[:40]
        return f"{self.scope}:{digest}"


@dataclass
class _Hit:
    store: object  # where it was counted, to hand it back there
    bucket: str
    window_end: object  # the store's own value for the window, to hand the hit back to the same window


@dataclass
class Decision:
    allowed: bool
    # Seconds until the limit that refused frees up (0 when allowed): the Retry-After.
    retry_after_s: int = 0
    # The scope of the limit that refused, or None.
    refused_by: str | None = None
    _hits: list[_Hit] = field(default_factory=list, repr=False)

    def refund(self) -> None:
        """Hands the hits back: what was counted did not happen, or does not count
        (a right access code)."""
        for hit in self._hits:
            hit.store.refund(hit)
        self._hits = []


def limits_hit(*limits: Limit) -> Decision:
    """Counts one hit against each limit, in order. The first limit over its number
    refuses, and the hits counted so far, its own included, are handed back: a refused
    hit counts nowhere (a device over its own limit does not use up its address's)."""
    hits: list[_Hit] = []
    for limit in limits:
        hit, count, expires_at = _store().hit(limit.bucket, limit.window_s)
        hits.append(hit)
        if count > limit.limit:
            for counted in hits:
                counted.store.refund(counted)
            retry_after = math.ceil((expires_at - timezone.now()).total_seconds())
            return Decision(False, retry_after_s=min(max(retry_after, 1), limit.window_s), refused_by=limit.scope)
    return Decision(True, _hits=hits)


def counters_delete_expired() -> int:
    """Deletes the database's counters whose window is over (Redis expires its own)."""
    deleted, _ = RateLimitCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


# --- Stores -------------------------------------------------------------------------------


def _store():
    url = settings.RATE_LIMIT_REDIS_URL
    if url:
        redis_store = _redis_store(url)
        if redis_store.answering():
            return _FallingBack(redis_store)
    return _DATABASE_STORE


class _FallingBack:
    """Redis, or the database for this hit when Redis fails to answer it."""

    def __init__(self, redis_store: _RedisStore):
        self.redis_store = redis_store

    def hit(self, bucket: str, window_s: int):
        try:
            return self.redis_store.hit(bucket, window_s)
        except CACHE_ERRORS as exc:
            self.redis_store.went_away(exc)
            return _DATABASE_STORE.hit(bucket, window_s)


class _DatabaseStore:
    def hit(self, bucket: str, window_s: int) -> tuple[_Hit, int, datetime]:
        now = timezone.now()
        ops = connection.ops
        table = ops.quote_name(RateLimitCounter._meta.db_table)
        # One statement: concurrent hits on a row wait for each other (PostgreSQL's row
        # lock, SQLite's write lock), so no two read the same count. The right-hand
        # sides read the row as it was, so the window restarts in both columns together.
        sql = f"""
            INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s)
            ON CONFLICT (bucket) DO UPDATE SET
                count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END,
                expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at ELSE {table}.expires_at END
            RETURNING count, expires_at
        """
        now_value = ops.adapt_datetimefield_value(now)
        params = [bucket, ops.adapt_datetimefield_value(now + timedelta(seconds=window_s)), now_value, now_value]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, stored_expires_at = cursor.fetchone()
        if random.randrange(CLEANUP_EVERY) == 0:
            counters_delete_expired()
        return _Hit(self, bucket, stored_expires_at), count, _as_datetime(stored_expires_at)

    def refund(self, hit: _Hit) -> None:
        table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
        with connection.cursor() as cursor:
            # Only within the window it was counted in: a window started since is not touched.
            cursor.execute(
                f"UPDATE {table} SET count = count - 1 WHERE bucket = %s AND expires_at = %s AND count > 0",
                [hit.bucket, hit.window_end],
            )


def _as_datetime(value) -> datetime:
    """expires_at as the database driver returns it: a datetime (PostgreSQL) or
    Django's text form (SQLite), UTC either way."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value


_DATABASE_STORE = _DatabaseStore()

# INCR and the expiry in one atomic step: a key can never be left without its expiry
# (Django's cache.add + cache.incr can, if the key expires between the two).
_REDIS_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_REDIS_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('DECR', KEYS[1])
end
return 0
"""


class _RedisStore:
    def __init__(self, url: str):
        import redis

        timeout = settings.CACHE_TIMEOUT_S
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=no_retry()
        )
        self._hit = self.client.register_script(_REDIS_HIT)
        self._refund = self.client.register_script(_REDIS_REFUND)
        self._skip_until = 0.0

    def answering(self) -> bool:
        return time.monotonic() >= self._skip_until

    def went_away(self, exc: Exception) -> None:
        if self.answering():
            logger.warning("Redis does not answer (%s): rate limits counted in the database", type(exc).__name__)
        self._skip_until = time.monotonic() + REDIS_OUTAGE_BACKOFF_S

    def hit(self, bucket: str, window_s: int) -> tuple[_Hit, int, datetime]:
        key = REDIS_KEY_PREFIX + bucket
        count, ttl_ms = self._hit(keys=[key], args=[window_s * 1000])
        return _Hit(self, key, None), int(count), timezone.now() + timedelta(milliseconds=int(ttl_ms))

    def refund(self, hit: _Hit) -> None:
        try:
            self._refund(keys=[hit.bucket])
        except CACHE_ERRORS as exc:
            # Counted, then Redis went: the hit stays counted there (a refusal too many, never one too few).
            self.went_away(exc)


@cache
def _redis_store(url: str) -> _RedisStore:
    return _RedisStore(url)
