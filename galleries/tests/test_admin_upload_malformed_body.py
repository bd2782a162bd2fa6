"""The admin's upload with a multipart body that cannot be read: a plain 400 page, or
JSON for the drag-and-drop uploader (which shows its message), and no photo made."""

from pathlib import Path

import pytest

from eventgallery.tests.multipart_bodies import malformed_bodies
from galleries.tests.factories import make_gallery, unique_jpeg

BODIES = malformed_bodies(fields={}, files={"photos": ("IMG_0001.jpg", unique_jpeg(width=800, height=600))})


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
@pytest.mark.parametrize("kind", BODIES)
def test_a_malformed_upload_gets_a_plain_bad_request_page_and_makes_no_photo(organizer_client, kind, accept, settings):
    gallery = make_gallery()
    content_type, body = BODIES[kind]

    response = organizer_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/upload/", data=body, content_type=content_type, HTTP_ACCEPT=accept
    )

    assert response.status_code == 400
    assert "This request could not be read" in response.text
    assert "Traceback" not in response.text
    assert response["Content-Type"].startswith("application/json" if accept == "application/json" else "text/html")
    assert not gallery.photos.exists()
    assert [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()] == []
