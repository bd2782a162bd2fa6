"""The watermark in the gallery's admin page: its settings, the logo's upload, and the
preview of the watermark on the gallery's first photo, for the gallery's owner only."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageChops

from accounts.services import organizers_group
from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, make_user, unique_jpeg, upload_photo
from galleries.tests.images import jpeg_bytes, rgba_png_bytes

pytestmark = pytest.mark.django_db


def _organizer():
    user = make_user(staff=True)
    user.groups.add(organizers_group())
    return user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner():
    return _organizer()


@pytest.fixture
def owner_client(owner):
    return _client(owner)


def _form(gallery, **watermark) -> dict:
    return {
        "name": gallery.name,
        "slug": gallery.slug,
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "is_published": "on",
        "downloads": gallery.downloads,
        "watermark": "none",
        "watermark_text": "",
        "watermark_position": "bottom-right",
        "watermark_opacity": "60",
        "watermark_size": "20",
        **watermark,
    }


def _stored(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _save(client, gallery, django_capture_on_commit_callbacks, **watermark):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/admin/galleries/gallery/{gallery.pk}/change/", _form(gallery, **watermark), follow=True)


def test_the_owner_sets_a_text_watermark_and_the_photos_are_drawn_again(
    owner, owner_client, django_capture_on_commit_callbacks
):
    gallery = make_gallery(owner=owner)
    photo = upload_photo(gallery)

    response = _save(
        owner_client, gallery, django_capture_on_commit_callbacks, watermark="text", watermark_text=" © Lumen "
    )

    assert "The watermark changed: 1 photo(s) queued to be drawn again with it." in response.text
    gallery.refresh_from_db()
    assert (gallery.watermark, gallery.watermark_text) == ("text", "© Lumen")
    assert Photo.objects.get(pk=photo.pk).watermark == gallery.watermark_signature() != ""


def test_a_text_watermark_needs_its_text_and_values_in_range(owner, owner_client, django_capture_on_commit_callbacks):
    gallery = make_gallery(owner=owner)

    response = _save(owner_client, gallery, django_capture_on_commit_callbacks, watermark="text", watermark_opacity="5")

    assert "Type the watermark&#x27;s text, or choose another kind." in response.text
    assert "Ensure this value is greater than or equal to 10." in response.text
    assert Gallery.objects.get(pk=gallery.pk).watermark == "none"


def test_a_logo_is_stored_as_a_png_under_a_name_of_its_own(
    owner, owner_client, any_storage, django_capture_on_commit_callbacks
):
    gallery = make_gallery(owner=owner)
    logo = SimpleUploadedFile("My Studio.jpg", jpeg_bytes(3200, 800), content_type="image/jpeg")

    response = _save(owner_client, gallery, django_capture_on_commit_callbacks, watermark="logo", watermark_logo=logo)

    assert response.redirect_chain
    gallery.refresh_from_db()
    assert gallery.watermark_logo.name.startswith("watermarks/") and gallery.watermark_logo.name.endswith(".png")
    assert any_storage() == [gallery.watermark_logo.name]
    with gallery.watermark_logo.open("rb") as fh:
        assert Image.open(io.BytesIO(fh.read())).size == (1000, 250)


def test_a_new_logo_replaces_the_old_one_in_storage(owner, owner_client, settings, django_capture_on_commit_callbacks):
    gallery = make_gallery(owner=owner)
    first = SimpleUploadedFile("a.png", rgba_png_bytes(color=(255, 0, 0, 255)))
    _save(owner_client, gallery, django_capture_on_commit_callbacks, watermark="logo", watermark_logo=first)
    gallery.refresh_from_db()
    old = gallery.watermark_logo.name

    second = SimpleUploadedFile("b.png", rgba_png_bytes(color=(0, 255, 0, 255)))
    _save(owner_client, gallery, django_capture_on_commit_callbacks, watermark="logo", watermark_logo=second)

    gallery.refresh_from_db()
    assert gallery.watermark_logo.name != old
    assert _stored(settings) == [gallery.watermark_logo.name]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a but not really", "The logo must be a PNG, JPEG, WebP or GIF image."),
        (b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024 + 1), "The logo&#x27;s file is 5.0 MB; the limit is 5 MB."),
    ],
)
def test_a_file_that_cannot_be_a_logo_is_refused_and_nothing_is_stored(
    owner, owner_client, any_storage, django_capture_on_commit_callbacks, content, message
):
    gallery = make_gallery(owner=owner)
    logo = SimpleUploadedFile("logo.png", content, content_type="image/png")

    response = _save(owner_client, gallery, django_capture_on_commit_callbacks, watermark="logo", watermark_logo=logo)

    assert response.status_code == 200
    assert message in response.text
    assert any_storage() == []
    assert Gallery.objects.get(pk=gallery.pk).watermark_logo.name == ""


def test_the_change_page_shows_the_preview(owner, owner_client):
    gallery = make_gallery(owner=owner)

    page = owner_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")

    url = f"/admin/galleries/gallery/{gallery.pk}/watermark-preview.jpg"
    assert f'src="{url}" data-preview-url="{url}"' in page.text
    assert "galleries/admin-watermark" in page.text


def _preview(client, gallery, **query) -> Image.Image:
    response = client.get(f"/admin/galleries/gallery/{gallery.pk}/watermark-preview.jpg", query)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def test_the_preview_draws_the_watermark_on_the_first_photo_at_middle_size(owner, owner_client):
    gallery = make_gallery(owner=owner, watermark="text", watermark_text="Lumen", watermark_size=40)
    content = unique_jpeg(width=3000, height=2000)
    upload_photo(gallery, content=content)
    plain = make_gallery(owner=owner)
    upload_photo(plain, content=content)

    marked = _preview(owner_client, gallery)
    unmarked = _preview(owner_client, plain)

    assert marked.size == (1024, 683)
    assert ImageChops.difference(marked.crop((0, 0, 512, 341)), unmarked.crop((0, 0, 512, 341))).getbbox() is None
    assert ImageChops.difference(marked, unmarked).getbbox() is not None


def test_the_preview_follows_the_settings_being_typed_and_ignores_invalid_ones(owner, owner_client):
    gallery = make_gallery(owner=owner)
    upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))
    saved = _preview(owner_client, gallery)

    typed = _preview(owner_client, gallery, watermark="text", watermark_text="Proof", watermark_position="centre")
    invalid = _preview(owner_client, gallery, watermark="text", watermark_text="Proof", watermark_opacity="500")

    assert ImageChops.difference(saved, typed).getbbox() is not None
    assert ImageChops.difference(saved, invalid).getbbox() is None
    assert Gallery.objects.get(pk=gallery.pk).watermark == "none"  # nothing saved


def test_a_gallery_without_photos_previews_on_a_sample(owner, owner_client):
    gallery = make_gallery(owner=owner, watermark="text", watermark_text="Lumen")
    assert _preview(owner_client, gallery).size == (1024, 682)


def test_the_preview_is_the_owners_and_a_superusers_only(owner):
    gallery = make_gallery(owner=owner)
    url = f"/admin/galleries/gallery/{gallery.pk}/watermark-preview.jpg"

    assert _client(owner).get(url).status_code == 200
    assert _client(_organizer()).get(url).status_code == 404
    assert _client(make_user(superuser=True)).get(url).status_code == 200
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_another_organizer_cannot_change_the_watermark(owner, django_capture_on_commit_callbacks):
    gallery = make_gallery(owner=owner)

    response = _save(
        _client(_organizer()), gallery, django_capture_on_commit_callbacks, watermark="text", watermark_text="Mine"
    )

    assert Gallery.objects.get(pk=gallery.pk).watermark == "none"
    assert response.redirect_chain[-1][0] == "/admin/"  # "not found" takes them home


def test_picking_logo_before_a_logo_is_saved_previews_the_photo_unmarked(owner, owner_client):
    # The change form's script asks for this as soon as "Logo image" is picked.
    gallery = make_gallery(owner=owner, watermark="text", watermark_text="Lumen", watermark_size=40)
    upload_photo(gallery, content=unique_jpeg(width=3000, height=2000))
    unmarked = _preview(owner_client, gallery, watermark="none")

    logo = _preview(owner_client, gallery, watermark="logo")

    assert ImageChops.difference(logo, unmarked).getbbox() is None
    assert Gallery.objects.get(pk=gallery.pk).watermark == "text"  # nothing saved
