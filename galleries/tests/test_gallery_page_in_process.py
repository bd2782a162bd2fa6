"""With a shared cache (Redis), each process keeps the gallery pages it served last
(galleries/page_cache.py): a page served again costs no round trip to Redis, until its
timeout; a changed gallery or another language is never served from that copy."""

from __future__ import annotations

import shutil
import time

import pytest
import redis
from django.core.cache import cache

from galleries.models import Gallery
from galleries.tests.factories import bulk_ready_photos, make_gallery
from ops.tests.test_cache_outage import RedisServer

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


@pytest.fixture
def redis_cache(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "BACKEND": "ops.cache.DegradingRedisCache", "LOCATION": server.url}
    }
    yield redis.Redis.from_url(server.url)
    cache.clear()
    server.process.kill()
    server.process.wait()


def gets(client) -> int:
    """The GETs Redis has answered so far."""
    return int(client.info("commandstats").get("cmdstat_get", {}).get("calls", 0))


def page(client, gallery, language="en-GB,en;q=0.9"):
    response = client.get(gallery.get_absolute_url(), headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_a_page_served_again_is_taken_from_the_process_not_from_redis(client, db, redis_cache):
    gallery = make_gallery(name="Ana and Ben")
    bulk_ready_photos(gallery, 3)
    first = page(client, gallery)
    before = gets(redis_cache)

    again = page(client, gallery)

    assert again == first
    assert gets(redis_cache) == before


def test_the_process_copy_ends_with_its_timeout(client, db, redis_cache, settings):
    settings.GALLERY_PAGE_CACHE_SECONDS = 1
    gallery = make_gallery()
    bulk_ready_photos(gallery, 3)
    page(client, gallery)
    time.sleep(1.2)
    before = gets(redis_cache)

    page(client, gallery)

    assert gets(redis_cache) > before


def test_a_changed_gallery_and_another_language_are_never_served_from_the_process_copy(client, db, redis_cache):
    gallery = make_gallery(name="Ana and Ben")
    bulk_ready_photos(gallery, 3)
    assert "Ana and Ben" in page(client, gallery)

    Gallery.objects.filter(pk=gallery.pk).update(name="Ana & Ben's wedding")
    Gallery.objects.filter(pk=gallery.pk).touch()
    assert "Ana &amp; Ben&#x27;s wedding" in page(client, gallery)

    english = page(client, gallery)
    french = page(client, gallery, language="fr-FR,fr;q=0.9")
    assert english != french
    assert 'lang="fr"' in french and 'lang="en"' in english
