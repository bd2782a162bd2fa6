"""The selfie's upload handler: files in memory only, and nothing kept past the limit."""

from __future__ import annotations

import io
import os

from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from faces.uploads import FORM_OVERHEAD_BYTES, SelfieUploadHandler

LIMIT = 256 * 1024


def _parse(fields: dict, *, content_length: int | None = None):
    body = encode_multipart(BOUNDARY, fields)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(content_length or len(body))}
    handler = SelfieUploadHandler(max_bytes=LIMIT)
    stream = io.BytesIO(body)
    post, files = MultiPartParser(meta, stream, [handler]).parse()
    return handler, post, files, stream, len(body)


def _file(size: int, name: str = "selfie.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, os.urandom(size), content_type="image/jpeg")


def test_it_keeps_a_selfie_within_the_limit_in_memory(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # what Django's own handlers would spool to disk
    selfie = _file(LIMIT)

    handler, post, files, _, _ = _parse({"csrfmiddlewaretoken": "token", "selfie": selfie})

    uploaded = files["selfie"]
    assert isinstance(uploaded, InMemoryUploadedFile)
    assert isinstance(uploaded.file, io.BytesIO)
    selfie.seek(0)
    assert uploaded.read() == selfie.read()
    assert uploaded.name == "selfie.jpg"
    assert post["csrfmiddlewaretoken"] == "token"
    assert not handler.too_large


def test_it_refuses_a_body_announced_over_the_limit_before_reading_the_file():
    handler, post, files, stream, body_size = _parse({"csrfmiddlewaretoken": "token", "selfie": _file(4 * LIMIT)})

    assert handler.too_large
    assert handler.received == 0
    assert "selfie" not in files
    # The fields before the file still arrive (the CSRF check needs its token), and the
    # rest of the body is read and thrown away, so that the browser gets the answer.
    assert post["csrfmiddlewaretoken"] == "token"
    assert stream.tell() == body_size


def test_it_drops_a_file_that_grows_past_the_limit_as_soon_as_it_does():
    assert LIMIT + 10_000 < LIMIT + FORM_OVERHEAD_BYTES  # the announced size alone lets it through

    handler, _, files, _, _ = _parse({"selfie": _file(LIMIT + 10_000)})

    assert handler.too_large
    assert LIMIT < handler.received <= LIMIT + SelfieUploadHandler.chunk_size
    assert handler.file.closed
    assert "selfie" not in files


def test_the_limit_counts_every_file_of_the_request():
    handler, _, files, _, _ = _parse({"one": _file(LIMIT // 2, "a.jpg"), "two": _file(LIMIT // 2 + 10, "b.jpg")})

    assert handler.too_large
    assert "two" not in files
