"""Requests under /api/: their bodies' size, and errors in the API's shape whoever
made the response (the URL resolver's 404, ninja's 405, Django's 400 and 500)."""

from io import BytesIO

from django.conf import settings

from api.errors import error_response

API_PREFIX = "/api/"
# Room for the multipart framing and other fields around the largest photo accepted.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiRequestsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        response = self._refuse_or_read_body(request) or self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replacement = error_response(response.status_code)
            for header in KEPT_HEADERS:
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def _refuse_or_read_body(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "The Content-Length header is not a number.")
        multipart = request.content_type.startswith("multipart/")
        if multipart:
            # Files are streamed to disk by the upload handlers; the routes check their sizes.
            limit = settings.PHOTO_MAX_UPLOAD_MB * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES
        else:
            limit = settings.API_MAX_BODY_MB * 1024 * 1024
        if length > limit:
            return error_response(413, f"The request body is larger than {limit // 1024 // 1024} MB.")
        if not multipart and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # The base64 images of compare and detect are larger than Django lets a
            # form's body be (DATA_UPLOAD_MAX_MEMORY_SIZE); read within the API's limit.
            request._body = request.read(length)
            request._stream = BytesIO(request._body)
        return None
