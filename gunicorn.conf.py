"""gunicorn settings for production; every value can be overridden by the environment."""

import contextlib
import gc
import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Uploads of many large photos take a while on slow connections.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a leak can never grow without bound. Rarely: a
# recycled worker starts with an empty page cache (locmem, the default, is per process)
# and renders each page again, 0.3 s of CPU for page 1 of a 2,000-photo gallery; at
# 2,000 requests that came every few seconds under load and made the page's p99
# (bench/README.md, "Gallery page under gunicorn").
max_requests = 20000
max_requests_jitter = 2000
# The app is loaded once, in the master, and warmed up there (when_ready): a new or
# recycled worker is a fork, ready at once. Loaded in each worker, it took 1.2-1.9 s to
# import and another 0.2 s on its first page (the URL conf, the templates compiled).
# A code change needs a restart (or USR2), not a HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "") else None
errorlog = "-"


# Prometheus multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, each process writes
# its metrics to files there and /metrics adds them up. The folder is emptied when
# gunicorn starts (values of an earlier run would be added in) and a dead process's
# live gauges are dropped.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
    _load_face_models()


def _load_face_models():
    """The local face engine's models, loaded once in the master before the workers fork:
    they share them, and a worker's first selfie no longer spends half a second loading
    them while holding the GIL, its health checks and pages waiting (bench/README.md)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventgallery.settings")
    from django.conf import settings

    if settings.FACE_ENGINE == "local":
        from faces.engines.local.models import loaded_models

        loaded_models()


def when_ready(server):
    if server.cfg.preload_app:
        warm_up()


def warm_up():
    """What a worker would otherwise do on its first requests, done once in the master so
    that every worker forked from it starts with it: the URL conf and the views it imports,
    every template compiled, each language's catalog. Then no connection is left open for
    the workers to share, and the whole is frozen out of the collector (see post_worker_init)."""
    from django.conf import settings
    from django.db import connections
    from django.template import engines
    from django.template.loaders.cached import Loader as CachedLoader
    from django.urls import get_resolver
    from django.utils import translation

    _ = get_resolver().url_patterns  # every URL conf, and the views they import
    for engine in engines.all():
        for loader in engine.engine.template_loaders:
            loaders = loader.loaders if isinstance(loader, CachedLoader) else [loader]
            for name in _project_templates(loaders, Path(settings.BASE_DIR)):
                # One that cannot be compiled alone is compiled where it is used, as without this.
                with contextlib.suppress(Exception):
                    loader.get_template(name)
    for code, _ in settings.LANGUAGES:  # the catalogs, and reverse()'s table, are per language
        with translation.override(code):
            translation.gettext("Gallery")
            _ = get_resolver().reverse_dict
    connections.close_all()
    gc.collect()
    gc.freeze()


def _project_templates(loaders, base: Path):
    """The names of the project's own templates (not the installed packages')."""
    for loader in loaders:
        for directory in map(Path, loader.get_dirs()):
            if directory.is_dir() and directory.is_relative_to(base) and ".venv" not in directory.parts:
                for path in sorted(directory.rglob("*.html")):
                    yield path.relative_to(directory).as_posix()


def post_worker_init(worker):
    # Django and the project, loaded, are some 500,000 objects that live as long as the
    # worker. Frozen, they are left out of the full garbage collections that a big
    # request's many objects set off (a 2,000-photo ZIP makes some 10,000): each cost
    # 60-140 ms before its first byte (bench/README.md, ZIP download).
    gc.freeze()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
