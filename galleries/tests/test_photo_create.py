"""galleries.services.photo_create, for what the admin, the import command and the API share."""

import pytest

from galleries.tests.factories import make_gallery, upload_photo


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/IMG_0001.jpg", "IMG_0001.jpg"),
        # PostgreSQL cannot store NUL characters; a client can send them in a file name.
        ("IMG\x00_0001.jpg", "IMG_0001.jpg"),
        ("", "photo"),
    ],
)
def test_it_keeps_a_clean_file_name_and_never_uses_it_as_the_key(db, given, kept):
    photo = upload_photo(make_gallery(), filename=given, process=False)

    photo.refresh_from_db()
    assert photo.original_filename == kept
    assert kept not in photo.original.name
