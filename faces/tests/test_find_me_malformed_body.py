"""The Find me page with a multipart body that cannot be read: a plain 400 page, no
search, no stack trace, nothing of the selfie kept."""

from pathlib import Path

import pytest

from eventgallery.tests.multipart_bodies import malformed_bodies
from faces.tests.face_images import group_photo
from faces.tests.find_me import face_search_gallery, find_me_url, jpeg

SELFIE = jpeg(group_photo())
BODIES = malformed_bodies(fields={"consent": "on"}, files={"selfie": ("selfie.jpg", SELFIE)})


@pytest.mark.parametrize("kind", BODIES)
def test_a_malformed_body_gets_a_plain_bad_request_page(consenting_client, kind, settings, upload_temp_dir):
    gallery = face_search_gallery()
    content_type, body = BODIES[kind]

    response = consenting_client.post(find_me_url(gallery), data=body, content_type=content_type)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "This request could not be read" in response.text
    assert "Traceback" not in response.text and "MultiPartParserError" not in response.text
    assert [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()] == []
    assert list(Path(upload_temp_dir).iterdir()) == []
