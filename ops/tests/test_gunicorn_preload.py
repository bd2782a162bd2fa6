"""gunicorn.conf.py preloads the app in the master and warms it up there (when_ready), so
that a worker, new or recycled by max_requests, is a fork that starts warm: the URL conf,
the compiled templates and the catalogs are the master's. Here the warm-up itself, and
a real gunicorn whose workers are recycled every few requests serving the gallery page
from a database connection of their own."""

from __future__ import annotations

import gc
import runpy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.template import engines
from django.urls import clear_url_caches, get_resolver

from galleries.models import Gallery
from galleries.tests.factories import bulk_ready_photos
from ops.tests.gunicorn_server import Browser, Gunicorn, free_port, server_environment

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _cached_templates() -> set[str]:
    loader = engines["django"].engine.template_loaders[0]
    return set(loader.get_template_cache)


def test_it_preloads_the_app_unless_told_not_to(monkeypatch):
    assert runpy.run_path(str(CONF))["preload_app"] is True

    monkeypatch.setenv("GUNICORN_PRELOAD", "false")

    assert runpy.run_path(str(CONF))["preload_app"] is False


def test_it_warms_up_what_a_worker_would_do_on_its_first_requests_and_leaves_no_connection_open():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    clear_url_caches()
    gc.unfreeze()
    try:
        runpy.run_path(str(CONF))["warm_up"]()

        templates = _cached_templates()
        assert {"galleries/gallery_detail.html", "galleries/_photo_page.html", "base.html"} <= templates
        assert "admin/change_form.html" not in templates  # the project's own only, not the packages'
        assert set(get_resolver()._reverse_dict) >= {code for code, _ in settings.LANGUAGES}
        assert all(connection.connection is None for connection in connections.all())
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


@pytest.mark.django_db(transaction=True)
def test_workers_forked_from_the_warm_master_and_recycled_serve_the_gallery_page(static_root, tmp_path):
    gallery = Gallery.objects.create(
        name="Preloaded", slug="preloaded", is_published=True, visibility=Gallery.Visibility.PUBLIC
    )
    bulk_ready_photos(gallery, 30)
    port = free_port()
    environment = server_environment(
        port=port,
        tmp_path=tmp_path,
        static_root=static_root,
        LOG_LEVEL="INFO",
        # Every worker is recycled after a few requests: most pages come from a fresh fork.
        GUNICORN_CMD_ARGS="--max-requests 4 --max-requests-jitter 0 --log-level info",
    )
    server = Gunicorn(port=port, environment=environment, log=tmp_path / "gunicorn.log")
    server.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: Browser(port).get("/g/preloaded/"), range(60)))
    finally:
        server.stop()

    assert [answer.status for answer in answers] == [200] * 60
    assert all(answer.text.count('class="tile"') == 30 for answer in answers)
    log = (tmp_path / "gunicorn.log").read_text()
    assert log.count("Autorestarting worker") >= 5
    assert "Traceback" not in log
