"""Downloads are named by what they are: the uploaded name with the extension of the
file actually sent (galleries/files.py download_name), on local storage through
photo_file and on S3 through the signed URL's Content-Disposition."""

import urllib.request
from io import BytesIO

import pytest
from PIL import Image

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo
from galleries.tests.images import heic_bytes, png_bytes, tiff_bytes

CASES = [
    # (uploaded as, content, kind, downloaded as)
    ("IMG_1.png", unique_jpeg, "original", "IMG_1.jpg"),
    ("IMG_1.png", unique_jpeg, "display", "IMG_1-large.jpg"),
    ("party.heic", heic_bytes, "original", "party.heic"),
    ("party.heic", heic_bytes, "display", "party-large.jpg"),
    ("party.heic", heic_bytes, "thumb", "party-thumb.jpg"),
    ("scan.png", tiff_bytes, "original", "scan.tif"),
    ("screenshot.JPG", png_bytes, "original", "screenshot.png"),
    # The uploaded spelling of the right format is kept.
    ("Wedding 042.jpeg", unique_jpeg, "original", "Wedding 042.jpeg"),
    ("DSC_0001.JPG", unique_jpeg, "original", "DSC_0001.JPG"),
    ("scan.TIFF", tiff_bytes, "original", "scan.TIFF"),
    ("photo", unique_jpeg, "original", "photo.jpg"),
]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _format_of(data: bytes) -> str:
    with Image.open(BytesIO(data)) as im:
        return im.format


@pytest.mark.parametrize(("uploaded_as", "make", "kind", "downloaded_as"), CASES)
def test_a_download_is_named_by_the_format_sent(client, db, uploaded_as, make, kind, downloaded_as):
    photo = upload_photo(make_gallery(), content=make(), filename=uploaded_as)

    response = client.get(f"/photos/{photo.key}/{kind}", {"download": 1})

    assert response["Content-Disposition"] == f'attachment; filename="{downloaded_as}"'
    extension = downloaded_as.rsplit(".", 1)[-1].lower()
    assert {"jpg": "JPEG", "jpeg": "JPEG", "heic": "HEIF", "tif": "TIFF", "tiff": "TIFF", "png": "PNG"}[
        extension
    ] == _format_of(_body(response))


def test_a_name_outside_ascii_is_kept_with_the_right_extension(client, db):
    photo = upload_photo(make_gallery(), content=unique_jpeg(), filename="Fête d'été.png")

    response = client.get(f"/photos/{photo.key}/original", {"download": 1})

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''F%C3%AAte%20d%27%C3%A9t%C3%A9.jpg"


@pytest.mark.s3
@pytest.mark.parametrize(
    ("uploaded_as", "make", "kind", "downloaded_as"),
    [CASES[0], CASES[3], ("Fête.png", unique_jpeg, "original", "Fête.jpg")],
)
def test_on_s3_the_signed_url_names_the_download_the_same_way(
    s3_storage, client, db, uploaded_as, make, kind, downloaded_as
):
    photo = upload_photo(make_gallery(), content=make(), filename=uploaded_as)

    redirect = client.get(f"/photos/{photo.key}/{kind}", {"download": 1})

    assert redirect.status_code == 302
    with urllib.request.urlopen(redirect["Location"], timeout=5) as response:
        disposition = response.headers["Content-Disposition"]
        sent = response.read()
    if downloaded_as.isascii():
        assert disposition == f'attachment; filename="{downloaded_as}"'
    else:
        assert disposition == "attachment; filename*=utf-8''F%C3%AAte.jpg"
    assert _format_of(sent) == "JPEG"
