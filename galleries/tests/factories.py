import itertools
import uuid

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from galleries.models import Gallery, Photo
from galleries.services.photos import photo_create
from galleries.services.processing import photo_process
from galleries.tests.images import jpeg_bytes

_sequence = itertools.count(1)


def make_user(*, staff=False, superuser=False, username=None):
    n = next(_sequence)
    return get_user_model().objects.create_user(
        username=username or f"user{n}",
        password="password",
        is_staff=staff or superuser,
        is_superuser=superuser,
    )


def make_organizer(*, username=None):
    """A staff user in the Organizers group, as the admin makes them (not a superuser)."""
    from accounts.services import organizers_group

    user = make_user(staff=True, username=username)
    user.groups.add(organizers_group())
    return user


def make_gallery(**fields) -> Gallery:
    n = next(_sequence)
    fields.setdefault("name", f"Gallery {n}")
    fields.setdefault("slug", f"gallery-{n}")
    fields.setdefault("is_published", True)
    if fields.get("visibility") == Gallery.Visibility.PRIVATE:
        fields.setdefault("access_code", "letmein")
    return Gallery.objects.create(**fields)


def unique_jpeg(**kwargs) -> bytes:
    """A real JPEG whose content no other call returns (so it is never a duplicate)."""
    n = next(_sequence)
    return jpeg_bytes(color=(n * 37 % 256, n * 91 % 256, n * 53 % 256), **kwargs)


def upload_photo(gallery, *, content=None, filename="IMG_0001.jpg", process=True) -> Photo:
    """A photo as an organizer's upload makes it: the real file stored, then processed."""
    photo = photo_create(
        gallery=gallery, upload=ContentFile(content or unique_jpeg(), name=filename), filename=filename
    )
    if process:
        photo = photo_process(photo_id=photo.pk)
    return photo


def bulk_ready_photos(gallery, count) -> list[Photo]:
    """Many ready photo rows without files, for pages whose cost must not grow with the data."""
    now = timezone.now()
    photos = []
    for i in range(count):
        key = uuid.uuid4()
        prefix = f"galleries/{gallery.pk}/{key}"
        photos.append(
            Photo(
                gallery=gallery,
                key=key,
                original=f"{prefix}/original.jpg",
                thumbnail=f"{prefix}/thumb.jpg",
                display=f"{prefix}/display.jpg",
                original_filename=f"IMG_{i:04d}.jpg",
                content_hash=f"{i:064x}",
                file_size=1000,
                format="JPEG",
                width=6000,
                height=4000,
                sort_at=now + timezone.timedelta(seconds=i),
                status=Photo.Status.READY,
            )
        )
    return Photo.objects.bulk_create(photos, batch_size=500)
