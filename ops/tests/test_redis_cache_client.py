"""The Redis cache's client (ops/cache.py): one redis.Redis for each connection pool,
made once and shared by the threads of a process, where Django made one per operation."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from ops.cache import DegradingRedisCache
from ops.tests.test_cache_outage import RedisServer

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


@pytest.fixture
def redis_url(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server.url
    server.process.kill()
    server.process.wait()


def test_reads_and_writes_share_one_client_across_threads(redis_url):
    cache = DegradingRedisCache(redis_url, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})

    def round_trip(n: int):
        cache.set(f"key-{n}", {"n": n, "page": b"x" * 50_000})
        return cache.get(f"key-{n}"), cache._cache.get_client(write=True), cache._cache.get_client()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(round_trip, range(40)))

    assert [value for value, _, _ in results] == [{"n": n, "page": b"x" * 50_000} for n in range(40)]
    clients = {id(client) for _, writer, reader in results for client in (writer, reader)}
    assert len(clients) == 1  # one server: reads and writes use its one pool, and its one client
