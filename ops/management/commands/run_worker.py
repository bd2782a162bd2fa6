"""The background worker: django-tasks-db's db_worker with a heartbeat, which
/readyz reads (db_worker has none of its own), and optionally its own /metrics port."""

import os

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from ops.services import Heartbeat


class Command(db_worker.Command):
    help = "Run the background worker (db_worker) and record its heartbeat for /readyz."

    def handle(self, *args, **options):
        # With --reload the command runs in a watching parent and in the child that
        # works: only the child beats.
        if options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        if settings.WORKER_METRICS_PORT:
            _serve_metrics(port=settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR)
        heartbeat = Heartbeat(worker_id=options["worker_id"], interval=settings.WORKER_HEARTBEAT_INTERVAL_S)
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()


def _serve_metrics(*, port: int, addr: str) -> None:
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    start_http_server(port, addr=addr, registry=registry)
