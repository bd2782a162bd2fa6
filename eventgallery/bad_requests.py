"""Errors the uploaders' scripts can read. The admin's and the guests' uploaders send
one file per request asking for JSON ({"results": [{"name", "ok", "message", "retry"}]})
and show its message; any other answer they can only show as "HTTP <status>".

- `bad_request` (handler400) answers a request Django refuses before any view runs (a
  body it cannot read, too many fields or files, a field too large, a part's headers
  over 1 KB: a file name too long) with that JSON when it was asked for, the 400 page
  otherwise, and the API's error shape under /api/.
- `UploaderJsonErrorsMiddleware` turns every other error page an uploader's request
  gets (the CSRF check after a session ended, a gallery gone or closed, a server error)
  into that JSON too, with a message for its status, keeping Retry-After.
"""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from django.views.defaults import bad_request as html_bad_request

# Django's MultiPartParser refuses a part whose headers exceed 1 KB; a file's name is
# the only header a browser makes that long.
_HEADERS_TOO_LONG = "Request max total header size exceeded."
NAME_TOO_LONG = _("This request could not be read: the file's name is too long. Rename the file and try again.")
TOO_LARGE = _("This request could not be read: it is too large. Send fewer or smaller files at a time.")
TOO_MANY = _("This request could not be read: it has too many files or fields. Send fewer files at a time.")
UNREADABLE = _("This request could not be read: it was incomplete or damaged. Try again.")

UPLOADER_VIEWS = frozenset({"galleries:upload", "admin:galleries_gallery_upload"})
# (message, whether trying the same file again may work)
STATUS_MESSAGES = {
    400: (UNREADABLE, True),
    403: (_("This upload was refused: reload the page (your session may have ended) and try again."), False),
    404: (_("This gallery is not here any more: reload the page."), False),
    405: (_("This address takes no uploads: reload the page."), False),
    410: (_("This gallery has closed: it takes no more photos."), False),
    413: (TOO_LARGE, False),
    429: (_("Too many uploads in a short time. Wait a few minutes and try again."), True),
}
SERVER_TROUBLE = (_("The server could not take this photo just now. Try again in a minute."), True)


def uploader_error(status: int, message: str, *, retry: bool) -> JsonResponse:
    return JsonResponse({"results": [{"name": "", "ok": False, "message": message, "retry": retry}]}, status=status)


def bad_request_message(exception) -> tuple[str, bool]:
    if isinstance(exception, MultiPartParserError) and str(exception) == _HEADERS_TOO_LONG:
        return NAME_TOO_LONG, False
    if isinstance(exception, RequestDataTooBig):
        return TOO_LARGE, False
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return TOO_MANY, False
    return UNREADABLE, True


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def bad_request(request, exception, template_name="400.html"):
    message, retry = bad_request_message(exception)
    if request.path_info.startswith("/api/"):
        from api.errors import error_response

        return error_response(400, str(message), code="malformed_body")
    if _wants_json(request):
        return uploader_error(400, message, retry=retry)
    return html_bad_request(request, exception, template_name=template_name)


class UploaderJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in UPLOADER_VIEWS or not _wants_json(request):
            return response
        message, retry = STATUS_MESSAGES.get(response.status_code, SERVER_TROUBLE)
        replacement = uploader_error(response.status_code, message, retry=retry)
        if "Retry-After" in response:
            replacement["Retry-After"] = response["Retry-After"]
        return replacement
