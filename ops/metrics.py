"""The Prometheus metrics of the web server and the worker.

With PROMETHEUS_MULTIPROC_DIR set (several gunicorn processes), prometheus_client
keeps each process's values in files there and /metrics adds them up; without it,
each process counts in memory. The folder is made if it is missing (a fresh container's
/tmp/..., a path mistyped): every process that loads Django (the web server, the worker,
`manage.py migrate`) makes its metrics at import, and prometheus_client would fail there
with a bare FileNotFoundError. A folder that cannot be made stops the process with an
error that names the variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from prometheus_client import Counter, Histogram


def multiprocess_dir_ensure() -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={directory!r} does not exist and cannot be made ({exc.strerror}): "
            "name a folder the server may write to, or unset it."
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={directory!r} is not writable by this process: "
            "name a folder the server may write to, or unset it."
        )


multiprocess_dir_ensure()

HTTP_REQUESTS = Counter(
    "eventgallery_http_requests",
    "HTTP requests answered, by method, route name and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "eventgallery_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is returned, not streamed).",
    ["method", "route"],
)
PHOTOS_PROCESSED = Counter(
    "eventgallery_photos_processed",
    "Photos the worker processed, by outcome: ready, failed, or gone (deleted meanwhile).",
    ["outcome"],
)
PHOTO_FACE_INDEXINGS = Counter(
    "eventgallery_photo_face_indexings",
    "Photos whose faces the worker indexed, by outcome: indexed, failed or skipped.",
    ["outcome"],
)
FACES_INDEXED = Counter("eventgallery_faces_indexed", "Faces found and stored by indexing.")
FACE_SEARCHES = Counter(
    "eventgallery_face_searches",
    "Find me searches, by outcome: matched, no_match, no_face, several_faces, unreadable, unavailable, disabled.",
    ["outcome"],
)
FACE_SEARCH_DURATION = Histogram(
    "eventgallery_face_search_duration_seconds",
    "Time of a Find me search, from the selfie's pixels to the matches.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
)

# Methods outside this set are counted as "other", so a client cannot grow the label set.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
