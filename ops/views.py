import ipaddress
import logging
import os
import sys

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ops import outages
from ops.collectors import TaskQueueCollector
from ops.services import readiness_checks

logger = logging.getLogger(__name__)


def server_error(request):
    """handler500: a 503 when the exception says a service is away (ops/outages.py),
    else Django's own 500 page. Called while the exception is being handled."""
    if outages.outage_of(sys.exc_info()[1]):
        return outages.outage_response()
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A form posted without its CSRF cookie, while the database is away, most often
    comes from a page that could not set it (its request failed in the outage): the
    guest is told of the outage rather than of a security check they cannot mend."""
    if not outages.database_answers():
        logger.warning("CSRF check failed (%s) while the database does not answer: 503", reason)
        return outages.outage_response()
    return csrf.csrf_failure(request, reason)


@never_cache
@require_GET
def healthz(request):
    """The process answers: no database, no storage."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = readiness_checks()
    failing = [check.name for check in checks if not check.ok]
    return JsonResponse(
        {
            "status": "unavailable" if failing else "ok",
            "failing": failing,
            "checks": {check.name: check.as_dict() for check in checks},
        },
        status=503 if failing else 200,
    )


@never_cache
@require_GET
def metrics(request):
    if not _metrics_allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_Collected(TaskQueueCollector()))
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


class _Collected:
    """What generate_latest needs of a registry, for one collector not registered anywhere."""

    def __init__(self, collector):
        self.collector = collector

    def collect(self):
        return self.collector.collect()


def _metrics_allowed(request) -> bool:
    """Open in DEBUG when nothing is configured; otherwise a matching bearer token or
    an allowed client address (either one is enough)."""
    token = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_IPS
    if not token and not networks:
        return settings.DEBUG
    if token:
        scheme, _, offered = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and offered and constant_time_compare(offered.strip(), token):
            return True
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
    return False
