"""System checks for production (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches, deploy=True)
def cache_shared_by_every_process(app_configs, **kwargs):
    """Several gunicorn processes (WEB_CONCURRENCY) each keep a cache of their own without
    CACHE_URL: a rendered gallery page is made once per process, and a change reaches
    each process only when its copy expires."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "The cache is kept per process: every gunicorn process and machine renders and caches pages on its own.",
            hint="Set CACHE_URL to a Redis that every web process reaches (e.g. redis://redis:6379/1).",
            id="eventgallery.W001",
        )
    ]
