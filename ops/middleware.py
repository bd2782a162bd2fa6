"""Request id, access log and request metrics, around everything else (listed first
in MIDDLEWARE, so that the request id is set before any other code logs and the
duration covers every other middleware); then the probes, before Django's own."""

import logging
import re
import time
import uuid

from django.urls import resolve

from ops.logging import request_id_var
from ops.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, KNOWN_METHODS

access_logger = logging.getLogger("eventgallery.access")

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a proxy or a client is kept only if it is short and plain: it ends up
# in every log line, where it must not be able to forge or break lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")


def request_id_from(request) -> str:
    offered = request.META.get("HTTP_X_REQUEST_ID", "")
    if _VALID_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request)
        request.request_id = request_id
        # Cleared when the response is closed (OpsConfig.ready), not here: Django logs
        # 4xx and 5xx responses after the middleware has returned.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        response[REQUEST_ID_HEADER] = request_id
        self._record(request, response.status_code, duration)
        return response

    def _record(self, request, status: int, duration: float) -> None:
        method = request.method if request.method in KNOWN_METHODS else "other"
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route) if match else "unmatched"
        HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        HTTP_REQUEST_DURATION.labels(method=method, route=route).observe(duration)
        # The path only: never the query string, the headers or the body (selfies,
        # access codes and tokens travel there).
        duration_ms = round(duration * 1000, 1)
        access_logger.info(
            "%s %s %s %.1fms",
            method,
            request.path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "route": route,
            },
        )


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics before host validation and the HTTPS
    redirect: probes and scrapers call the container by its address, over plain HTTP,
    and these views never build a URL from the Host header."""

    PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in self.PATHS:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
