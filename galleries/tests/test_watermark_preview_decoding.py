"""The admin's watermark preview decodes a gallery's first original in the web process:
in a decode turn like any other decode there, and on the sample photo when no turn is
free or the original is too large to decode there (a guest's 144 MP WebP may come first)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from accounts.services import organizers_group
from galleries.tests.decoding_turns import held_turn
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo

PHOTO_SIZE, SAMPLE_SIZE = (1024, 683), (1024, 682)


@pytest.fixture
def owner_client(db):
    owner = make_user(staff=True)
    owner.groups.add(organizers_group())
    client = Client()
    client.force_login(owner)
    client.owner = owner
    return client


def _preview_size(client, gallery) -> tuple[int, int]:
    response = client.get(f"/admin/galleries/gallery/{gallery.pk}/watermark-preview.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content)).size


def test_the_preview_is_drawn_on_the_sample_while_no_decode_turn_is_free(owner_client, settings):
    settings.DECODE_WAIT_S = 0
    gallery = make_gallery(owner=owner_client.owner, watermark="text", watermark_text="Lumen")
    upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))

    with held_turn():
        busy = _preview_size(owner_client, gallery)
    free = _preview_size(owner_client, gallery)

    assert (busy, free) == (SAMPLE_SIZE, PHOTO_SIZE)


def test_the_preview_is_drawn_on_the_sample_when_the_original_is_too_large_to_decode_here(owner_client, settings):
    gallery = make_gallery(owner=owner_client.owner, watermark="text", watermark_text="Lumen")
    upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))
    settings.DECODE_MEMORY_MB = 1

    assert _preview_size(owner_client, gallery) == SAMPLE_SIZE
