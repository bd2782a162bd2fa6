"""Multipart bodies as a careless or hostile client sends them, for the tests of every
transport that reads one (the API, Find me, the admin's upload)."""

from __future__ import annotations

BOUNDARY = "----eventgallery-test-boundary-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart_body(*, fields: dict[str, str], files: dict[str, tuple[str, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A well-formed multipart/form-data body, as a browser frames it."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + content)
    return b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()


def malformed_bodies(*, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """(Content-Type, body) of each way a multipart body can be broken, around the given
    fields and files (at least one file) that a well-formed body would carry."""
    whole = multipart_body(fields=fields, files=files)
    last_file = list(files.values())[-1][1]
    middle_of_last_file = whole.rindex(last_file) + len(last_file) // 2
    return {
        # Framed with one boundary, announced with another.
        "bad boundary": (CONTENT_TYPE, multipart_body(fields=fields, files=files, boundary="another-boundary")),
        # Cut off in the middle of the last file, as a dropped connection leaves it.
        "truncated body": (CONTENT_TYPE, whole[:middle_of_last_file]),
        "missing boundary": ("multipart/form-data", whole),
        "invalid boundary": ('multipart/form-data; boundary="no spaces allowed at the end "', whole),
        "garbage": (CONTENT_TYPE, bytes(range(256)) * 64),
    }
