"""The answer to a request Django refuses before any view runs (a body it cannot read,
too many fields, a field too large, a part's headers too long): a plain 400 page, or
for the uploaders' scripts, which ask for JSON, the JSON they read ({"results": [...]}
with one refused entry), so that they show why instead of "HTTP 400". The API's own
requests get its error shape from api/middleware.py."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import bad_request as html_bad_request

# Django's MultiPartParser refuses a part whose headers exceed 1 KB; a file's name is
# the only header a browser makes that long.
_HEADERS_TOO_LONG = "Request max total header size exceeded."
NAME_TOO_LONG = "This request could not be read: the file's name is too long. Rename the file and try again."
TOO_LARGE = "This request could not be read: it is too large. Send fewer or smaller files at a time."
TOO_MANY = "This request could not be read: it has too many files or fields. Send fewer files at a time."
UNREADABLE = "This request could not be read: it was incomplete or damaged. Try again."


def bad_request_message(exception) -> str:
    if isinstance(exception, MultiPartParserError) and str(exception) == _HEADERS_TOO_LONG:
        return NAME_TOO_LONG
    if isinstance(exception, RequestDataTooBig):
        return TOO_LARGE
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return TOO_MANY
    return UNREADABLE


def bad_request(request, exception, template_name="400.html"):
    message = bad_request_message(exception)
    if request.path_info.startswith("/api/"):
        from api.errors import error_response

        return error_response(400, message, code="malformed_body")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"results": [{"name": "", "ok": False, "message": message}]}, status=400)
    return html_bad_request(request, exception, template_name=template_name)
