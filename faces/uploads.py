"""The selfie upload: held in memory, never written to a temporary file.

Django's default handlers stream an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a
temporary file on disk. A selfie must never reach the disk, so the Find me view reads
its request with this handler alone, which keeps the file in memory and stops taking
bytes past a limit: an oversized upload is dropped (the rest of the body is read and
discarded, so that the browser gets the answer) and the view answers 413.

Under ASGI, Django spools the whole request body to a temporary file before any
upload handler runs; this guarantee holds for WSGI (gunicorn), which the project uses.
"""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from faces.services.find_me import find_me_allowed, find_me_selfie
from galleries.models import Gallery

# Room for the multipart framing and the form's other fields (CSRF token, consent)
# around a selfie of the largest size accepted.
FORM_OVERHEAD_BYTES = 64 * 1024


class SelfieUploadHandler(FileUploadHandler):
    """Keeps uploaded files in memory, at most max_bytes of them in all.

    After the request is parsed, `too_large` tells whether the upload was dropped for
    its size; the dropped file is then missing from request.FILES.
    """

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_large = False
        # Bytes of file data taken so far, over every file of the request.
        self.received = 0
        # Always a file: Django closes `handler.file` when it stops an upload.
        self.file = BytesIO()

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A body that announces more than a selfie can take is refused before any of
        # its file is read. Under WSGI, Content-Length bounds what can be read.
        if content_length is not None and content_length > self.max_bytes + FORM_OVERHEAD_BYTES:
            self.too_large = True
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.too_large:
            raise StopUpload(connection_reset=False)
        self.file = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.too_large = True
            self.file.close()  # frees what was kept of it now, not with the request
            raise StopUpload(connection_reset=False)
        self.file.write(raw_data)
        return None  # the only handler: nothing is passed on

    def file_complete(self, file_size):
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self):
        self.file.close()


def selfie_upload_prepare(request) -> SelfieUploadHandler:
    """Makes the request's body be read by the selfie's handler alone. Call it before
    anything reads request.POST or request.FILES (the CSRF check does)."""
    upload = SelfieUploadHandler(request, max_bytes=settings.SELFIE_MAX_MB * 1024 * 1024)
    request.upload_handlers = [upload]
    return upload


def selfie_from_request(
    request, *, upload: SelfieUploadHandler, gallery: Gallery, device: str, address: str, consent_given: bool
) -> UploadedFile:
    """The selfie of a Find me request, for the page and the API alike: the rules that
    come before the body is read (faces.services.find_me.find_me_allowed), then the body,
    read here and only here, then the rules of the fields sent (find_me_selfie). Raises
    their refusals."""
    find_me_allowed(gallery=gallery, device=device, address=address)
    data, files = request.POST, request.FILES  # reads the body, unless the CSRF check already did
    return find_me_selfie(data=data, files=files, too_large=upload.too_large, consent_given=consent_given)
