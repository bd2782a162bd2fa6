"""Malformed multipart bodies are the sender's fault: a 400, never a 500 or a guess.

Django's multipart parser raises MultiPartParserError for a missing or invalid
boundary (which Django answers with a 400, and the API with its own shape), but it
quietly takes a body that never reaches its closing delimiter: garbage, a body framed
with another boundary, a body cut off in the middle of a file. It parses such a body
as having fewer fields than were sent, and the view then answers as if the guest had
sent no selfie or the organizer no photo.

`MultipartBodyMiddleware` wraps the body of every multipart request in a reader that
raises MultiPartParserError when the body ends before its closing delimiter. The
parser reads every body to its end, so the error comes out of `request.POST` /
`request.FILES` like Django's own, wherever they are first read (the CSRF check, a
view, ninja). Nothing is buffered: the reader keeps the last few bytes it passed on.
"""

from __future__ import annotations

from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.http import parse_header_parameters


class IncompleteMultipartBody(MultiPartParserError):
    """The body ended before the closing delimiter of its boundary."""


class _DelimitedBody:
    """A request body stream that fails at its end unless it contained "\\r\\n--<boundary>--"."""

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._close_delimiter = b"\r\n--" + boundary + b"--"
        # A body may open with its close delimiter (no parts): as if a line ended before it.
        self._tail = b"\r\n"
        self._closed = False

    def read(self, size=-1):
        data = self._stream.read() if size is None or size < 0 else self._stream.read(size)
        self._scan(data)
        if not data or size is None or size < 0:
            self._check_closed()
        return data

    def readline(self, size=-1):
        data = self._stream.readline() if size is None or size < 0 else self._stream.readline(size)
        self._scan(data)
        if not data:
            self._check_closed()
        return data

    def close(self):
        self._stream.close()

    def _scan(self, data: bytes) -> None:
        if self._closed or not data:
            return
        window = self._tail + data
        if self._close_delimiter in window:
            self._closed = True
        self._tail = window[-(len(self._close_delimiter) - 1) :]

    def _check_closed(self) -> None:
        if not self._closed:
            raise IncompleteMultipartBody("The multipart body ends before its closing boundary.")


def _boundary(content_type: str) -> bytes | None:
    """The boundary Django's parser would use, or None where it refuses the header itself."""
    try:
        content_type.encode("ascii")
    except UnicodeEncodeError:
        return None
    _, params = parse_header_parameters(content_type)
    boundary = params.get("boundary")
    if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
        return None
    return boundary.encode("ascii")


class MultipartBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # POST, and the PUT and PATCH whose bodies ninja parses the same way.
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "multipart/form-data":
            boundary = _boundary(request.META.get("CONTENT_TYPE", ""))
            # Without a valid boundary Django's parser refuses the request by itself.
            if boundary is not None:
                request._stream = _DelimitedBody(request._stream, boundary)
        return self.get_response(request)
