"""The multipart body's framing check (eventgallery/multipart.py), below any view: a
body must reach its closing boundary, however the parser happens to read it."""

import io

import pytest
from django.http.multipartparser import MultiPartParserError

from eventgallery.multipart import _DelimitedBody
from eventgallery.tests.multipart_bodies import BOUNDARY, multipart_body

WHOLE = multipart_body(fields={"consent": "true"}, files={"selfie": ("me.jpg", b"\xff\xd8" + b"x" * 5000)})


def _read_all(body: bytes, chunk: int, boundary: str = BOUNDARY) -> bytes:
    stream = _DelimitedBody(io.BytesIO(body), boundary.encode())
    data = b""
    while piece := stream.read(chunk):
        data += piece
    return data


@pytest.mark.parametrize("chunk", [1, 7, 64, 65536])
def test_it_passes_a_whole_body_on_unchanged_whatever_the_size_of_the_reads(chunk):
    assert _read_all(WHOLE, chunk) == WHOLE


def test_it_takes_a_body_without_parts_and_one_with_a_preamble_and_an_epilogue():
    assert _read_all(f"--{BOUNDARY}--\r\n".encode(), 5)
    assert _read_all(b"This is a preamble.\r\n" + WHOLE + b"and an epilogue", 5)


# The closing boundary is "--\r\n" from the end: cutting the last line break keeps it whole.
@pytest.mark.parametrize("cut", [3, 10, len(WHOLE) // 2, len(WHOLE) - 3])
def test_it_fails_at_the_end_of_a_body_cut_before_its_closing_boundary(cut):
    with pytest.raises(MultiPartParserError):
        _read_all(WHOLE[: len(WHOLE) - cut], 64)


def test_it_fails_on_a_body_framed_with_another_boundary():
    with pytest.raises(MultiPartParserError):
        _read_all(WHOLE, 64, boundary="another-boundary")


def test_a_boundary_inside_a_file_without_its_line_break_does_not_count_as_the_end():
    body = WHOLE[: WHOLE.rindex(b"\r\n--")] + f"--{BOUNDARY}--".encode()

    with pytest.raises(MultiPartParserError):
        _read_all(body, 64)
