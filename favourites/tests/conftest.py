import pytest

from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo


@pytest.fixture
def gallery(db):
    return make_gallery(name="Anna & Ben", slug="anna-ben")


@pytest.fixture
def photos(gallery):
    """Three ready photos, in display order."""
    return [
        upload_photo(gallery, content=unique_jpeg(width=96, height=64), filename=f"DSC_{n:04d}.jpg") for n in range(3)
    ]


def heart(client, photo, favourite="1", **extra):
    """A heart as the gallery page's script sends it."""
    return client.post(
        f"/g/{photo.gallery.slug}/favourites/{photo.key}/",
        {"favourite": favourite},
        HTTP_ACCEPT="application/json",
        **extra,
    )
