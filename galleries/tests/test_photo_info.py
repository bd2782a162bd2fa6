"""The photo's Info in the viewer's download menu (galleries/photo_info.py,
templates/galleries/_viewer_sizes.html): file name, size, date taken, camera."""

import re
from datetime import datetime

import pytest

from galleries.models import Gallery, Photo
from galleries.photo_info import camera_name, megabytes
from galleries.tests.factories import make_gallery, upload_photo
from galleries.tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("make", "model", "shown"),
    [
        ("Canon", "Canon EOS R6", "Canon EOS R6"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 15 Pro", "Apple iPhone 15 Pro"),
        ("", "ILCE-7M3", "ILCE-7M3"),
        ("SONY", "", "SONY"),
        ("", "", ""),
    ],
)
def test_it_names_the_camera_once(make, model, shown):
    assert camera_name(make, model) == shown


def test_it_counts_megabytes_as_phones_do():
    assert [megabytes(n) for n in (1, 149_999, 2_345_678, 12_600_000)] == [0.1, 0.1, 2.3, 13]


def _info(html: str) -> dict[str, str]:
    section = html.split('<dl class="viewer-info">', 1)[1].split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section, flags=re.S)
    return {term: re.sub(r"<[^>]+>", "", value) for term, value in pairs}


def test_the_photo_page_tells_what_the_camera_said(client):
    gallery = make_gallery()
    content = jpeg_bytes(3000, 2000, taken_at=datetime(2026, 6, 1, 18, 30), make="Canon", model="Canon EOS R6")
    photo = upload_photo(gallery, content=content, filename="Tanz & Fest.jpg")
    url = f"/g/{gallery.slug}/p/{photo.key}/"
    size = megabytes(Photo.objects.get(pk=photo.pk).file_size)

    english = _info(client.get(url, headers={"Accept-Language": "en"}).text)
    german = _info(client.get(url, headers={"Accept-Language": "de"}).text)

    assert english == {
        "File name": "Tanz &amp; Fest.jpg",
        "Size": f"3000 × 2000 px · about {size:g} MB",
        "Taken": "1 June 2026, 18:30",
        "Camera": "Canon EOS R6",
    }
    assert german["Aufgenommen am"] == "1. Juni 2026 18:30"
    assert german["Größe"] == f"3000 × 2000 px · ca. {size:g} MB".replace(".", ",").replace("ca,", "ca.")


def test_a_photo_without_metadata_says_only_its_name_and_size_and_downloads_off_keep_the_info(client):
    gallery = make_gallery(downloads=Gallery.Downloads.NONE)
    photo = upload_photo(gallery, content=jpeg_bytes(640, 480), filename="scan.jpg")

    html = client.get(f"/g/{gallery.slug}/p/{photo.key}/").text

    assert list(_info(html)) == ["File name", "Size"]
    assert 'title="Info"' in html and "Download" not in html
