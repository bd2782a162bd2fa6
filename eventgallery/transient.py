"""Failures that pass: the storage or the database not answering for a while.

The worker tells them from permanent ones (a damaged image, a missing file) with
is_transient(), tries them again in place with with_retries(), and then queues the
task again after retry_delay(). Reading an original goes through stored_file_copy(),
so that a connection that breaks half-way through a download is a storage error and
never looks like a damaged image.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

# S3 answers that mean "not now" rather than "never".
_TRANSIENT_S3_CODES = {"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "Throttling"}
# Local storage: these say the file is not there, which trying again will not change.
_PERMANENT_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
# Originals up to this size are copied in memory, larger ones to a temporary file.
_COPY_IN_MEMORY_BYTES = 16 * 1024 * 1024


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same thing again later may succeed: the database or the
    storage did not answer, timed out, dropped the connection or said "busy"."""
    if is_database_error(exc):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or exc.response.get("Error", {}).get("Code") in _TRANSIENT_S3_CODES
    if isinstance(exc, (BotoConnectionError, HTTPClientError, ResponseStreamingError, IncompleteReadError)):
        return True
    if isinstance(exc, S3UploadFailedError):
        # boto3 wraps the ClientError of an upload: that decides.
        inner = exc.__cause__ or exc.__context__
        return inner is not None and is_transient(inner)
    if isinstance(exc, OSError):
        return not isinstance(exc, _PERMANENT_OS_ERRORS)
    return False


def what_failed(exc: BaseException) -> str:
    """The failing service, in words for organizers."""
    return "The database did not answer" if is_database_error(exc) else "The storage did not answer"


def with_retries(operation: Callable[[], T], *, what: str, attempts: int | None = None) -> T:
    """operation(), tried again after a transient failure: `attempts` times in all
    (TRANSIENT_RETRY_ATTEMPTS), waiting TRANSIENT_RETRY_DELAY_S, then twice as long.
    The last failure, or any permanent one, is raised."""
    attempts = attempts or settings.TRANSIENT_RETRY_ATTEMPTS
    delay = settings.TRANSIENT_RETRY_DELAY_S
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except Exception as exc:
            if attempt >= attempts or not is_transient(exc):
                raise
            logger.warning(
                "%s failed (%s: %s); trying again in %.1f s (attempt %d of %d)",
                what,
                type(exc).__name__,
                exc,
                delay,
                attempt + 1,
                attempts,
            )
            if is_database_error(exc):
                _close_broken_connections()
            time.sleep(delay)
            delay = min(delay * 2, settings.TASK_RETRY_MAX_DELAY_S)
    raise AssertionError("unreachable")


def _close_broken_connections() -> None:
    # Outside a transaction a new connection is made on the next query; inside one the
    # transaction is lost anyway and its block must fail as a whole.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            with contextlib.suppress(Exception):
                connection.close()


def retry_delay(attempt: int) -> float:
    """Seconds to wait before a task's run number attempt + 1: TASK_RETRY_DELAY_S,
    doubling with each run, at most TASK_RETRY_MAX_DELAY_S."""
    return min(settings.TASK_RETRY_DELAY_S * 2 ** (attempt - 1), settings.TASK_RETRY_MAX_DELAY_S)


@contextlib.contextmanager
def stored_file_copy(field_file, *, what: str) -> Iterator[tempfile.SpooledTemporaryFile]:
    """A local copy of a stored file, downloaded whole (with retries) before anyone
    reads it."""

    def download():
        copy = tempfile.SpooledTemporaryFile(max_size=_COPY_IN_MEMORY_BYTES)  # noqa: SIM115 (closed by the caller)
        try:
            with field_file.storage.open(field_file.name, "rb") as source:
                shutil.copyfileobj(source, copy, 1024 * 1024)
        except BaseException:
            copy.close()
            raise
        copy.seek(0)
        return copy

    copy = with_retries(download, what=what)
    try:
        yield copy
    finally:
        copy.close()
