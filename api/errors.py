"""One shape for every failure of the API: {"error": {"code": ..., "message": ...}},
with "field" when one field is at fault. Never a stack trace or an exception's text."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from galleries.decoding import DecodeBusy
from ops import outages

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}
MESSAGES = {
    400: "The request is not valid.",
    401: "This needs an API key: send Authorization: Bearer <key>.",
    403: "This is not allowed.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    429: "Too many requests. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Please try again later.",
    503: "The service is unavailable right now. Please try again in a minute.",
}
MALFORMED_BODY = "The request body could not be read: send valid JSON (Content-Type: application/json)."
TOO_MANY_FIELDS = (
    "The request body has too many fields or files: send one request per file, with the fields the route names."
)
NAME_TOO_LONG = (
    "A part of the multipart body has headers longer than 1 KB: most often a file name too long. Rename the file."
)
MALFORMED_MULTIPART = (
    "The multipart body could not be read: send multipart/form-data with a boundary, "
    "and the whole body up to its closing boundary."
)


class ApiError(HttpError):
    """A failure with a code and a message meant for the API's users."""

    def __init__(self, status_code: int, code: str, message: str, *, field: str | None = None):
        super().__init__(status_code, message)
        self.code = code
        self.field = field


def error_response(status: int, message: str | None = None, *, code: str | None = None, field: str | None = None):
    error = {"code": code or CODES.get(status, "error"), "message": message or MESSAGES.get(status, "Error.")}
    if field:
        error["field"] = field
    return JsonResponse({"error": error}, status=status)


def _field_of(location) -> str:
    parts = [str(part) for part in location]
    # ninja puts the body's parameter name after "body": ("body", "payload", "name").
    parts = parts[2:] if parts[:1] == ["body"] and len(parts) > 2 else parts[1:]
    return ".".join(parts) or "body"


def _validation_error(request, exc: ValidationError):
    problems = [(_field_of(error.get("loc", ())), error.get("msg", "is not valid")) for error in exc.errors]
    message = "; ".join(f"{field}: {msg}" for field, msg in problems) or MESSAGES[400]
    return error_response(422, message, field=problems[0][0] if problems else None)


def _http_error(request, exc: HttpError):
    status = exc.status_code
    if isinstance(exc, ApiError):
        response = error_response(status, exc.message, code=exc.code, field=exc.field)
    elif isinstance(exc, AuthenticationError):
        response = error_response(401, exc.message if exc.message != "Unauthorized" else None)
    elif status == 400 and exc.message.startswith("Cannot parse request body"):
        response = error_response(400, MALFORMED_BODY, code="malformed_body")
    else:
        response = error_response(status, exc.message if status < 500 else None)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    if status == 503:
        response["Retry-After"] = str(outages.RETRY_AFTER_S)
    return response


def _not_found(request, exc):
    return error_response(404)


def _too_large(request, exc):
    return error_response(413)


def _malformed_multipart(request, exc):
    # A missing or invalid boundary (Django's parser), or a body that ends before its
    # closing boundary (eventgallery/multipart.py): the sender's fault, whatever the route.
    # A part's headers over 1 KB (Django's limit) are a file name too long.
    if str(exc) == "Request max total header size exceeded.":
        return error_response(400, NAME_TOO_LONG, code="malformed_body", field="file")
    return error_response(400, MALFORMED_MULTIPART, code="malformed_body")


def _unavailable(request, exc):
    # The database or the shared cache is away (ops/outages.py): try again, not a bug.
    if outages.outage_of(exc) is None:
        return _server_error(request, exc)
    logger.error("API %s %s: a service is away", request.method, request.path, exc_info=exc)
    response = error_response(503)
    response["Retry-After"] = str(outages.RETRY_AFTER_S)
    return response


def _decode_busy(request, exc):
    # The web process had no turn to decode an image in time (galleries/decoding.py).
    response = error_response(503, str(exc), code="busy")
    response["Retry-After"] = str(exc.retry_after_s)
    return response


def _too_many_fields(request, exc):
    # Django's limits on a form body (DATA_UPLOAD_MAX_NUMBER_FIELDS, ..._FILES), hit
    # when the body is read in a route: the sender's fault, as for a broken body.
    return error_response(400, TOO_MANY_FIELDS, code="malformed_body")


def _suspicious(request, exc):
    # Django answers these 400 outside the API (a file name it will not store, a
    # forged header); within it they reach the routes as exceptions.
    return error_response(400)


def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500)


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(RequestDataTooBig, _too_large)
    api.add_exception_handler(MultiPartParserError, _malformed_multipart)
    api.add_exception_handler(DecodeBusy, _decode_busy)
    api.add_exception_handler(TooManyFieldsSent, _too_many_fields)
    api.add_exception_handler(TooManyFilesSent, _too_many_fields)
    api.add_exception_handler(SuspiciousOperation, _suspicious)
    api.add_exception_handler(Exception, _server_error)
    for error in (*outages.DATABASE_ERRORS, *outages.CACHE_ERRORS):
        api.add_exception_handler(error, _unavailable)
