"""favourites/services.py: hearts per guest, their cap, names, and the organizer's exports."""

import csv
import io

import pytest

from favourites import services
from favourites.models import Favourite, GuestName
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo

ANNA = services.guest_key(device="anna-device")
BEN = services.guest_key(device="ben-device")


@pytest.fixture
def gallery(db):
    return make_gallery(slug="wedding")


@pytest.fixture
def photos(gallery):
    return [
        upload_photo(gallery, content=unique_jpeg(width=64, height=48), filename=f"IMG_{n:04d}.CR3.jpg")
        for n in range(3)
    ]


def test_it_keeps_a_device_as_a_keyed_hash_never_as_its_cookie():
    assert len(ANNA) == 32
    assert "anna" not in ANNA
    assert ANNA == services.guest_key(device="anna-device") != BEN


def test_it_hearts_and_unhearts_a_photo_and_either_twice_changes_nothing(gallery, photos):
    assert services.favourite_set(gallery=gallery, photo=photos[0], guest=ANNA, favourite=True) is True
    assert services.favourite_set(gallery=gallery, photo=photos[0], guest=ANNA, favourite=True) is True
    assert Favourite.objects.count() == 1
    assert list(Favourite.objects.of_guest(gallery, ANNA).values_list("photo", flat=True)) == [photos[0].pk]
    assert not Favourite.objects.of_guest(gallery, BEN).exists()

    assert services.favourite_set(gallery=gallery, photo=photos[0], guest=ANNA, favourite=False) is False
    assert services.favourite_set(gallery=gallery, photo=photos[0], guest=ANNA, favourite=False) is False
    assert not Favourite.objects.exists()


def test_it_refuses_a_photo_of_another_gallery_and_stores_nothing(gallery, photos):
    elsewhere = make_gallery()
    with pytest.raises(ValueError):
        services.favourite_set(gallery=elsewhere, photo=photos[0], guest=ANNA, favourite=True)
    assert not Favourite.objects.exists()


def test_it_refuses_a_heart_past_the_cap_and_stores_nothing(gallery, photos, settings):
    settings.FAVOURITES_PER_GALLERY = 2
    services.favourite_set(gallery=gallery, photo=photos[0], guest=ANNA, favourite=True)
    services.favourite_set(gallery=gallery, photo=photos[1], guest=ANNA, favourite=True)
    with pytest.raises(services.FavouriteLimitReached, match="2 favourites"):
        services.favourite_set(gallery=gallery, photo=photos[2], guest=ANNA, favourite=True)
    assert Favourite.objects.filter(guest=ANNA).count() == 2
    # Another guest has a cap of their own; a heart already there is no new one.
    assert services.favourite_set(gallery=gallery, photo=photos[2], guest=BEN, favourite=True)
    assert services.favourite_set(gallery=gallery, photo=photos[1], guest=ANNA, favourite=True)


def test_it_keeps_a_guests_name_tidied_and_removes_it_when_empty(gallery):
    assert services.guest_name_set(gallery=gallery, guest=ANNA, name="  Anna   Maria ") == "Anna Maria"
    assert services.guest_name(gallery=gallery, guest=ANNA) == "Anna Maria"
    services.guest_name_set(gallery=gallery, guest=ANNA, name="Anna")
    assert GuestName.objects.get().name == "Anna"
    assert services.guest_name(gallery=make_gallery(), guest=ANNA) == ""
    assert services.guest_name_set(gallery=gallery, guest=ANNA, name="   ") == ""
    assert not GuestName.objects.exists()


def test_its_csv_names_each_heart_by_file_and_guest_and_never_holds_a_formula(gallery, photos):
    services.favourite_set(gallery=gallery, photo=photos[1], guest=ANNA, favourite=True)
    services.favourite_set(gallery=gallery, photo=photos[0], guest=BEN, favourite=True)
    services.favourite_set(gallery=gallery, photo=photos[1], guest=BEN, favourite=True)
    services.guest_name_set(gallery=gallery, guest=BEN, name="=HYPERLINK(evil)")

    rows = list(csv.reader(io.StringIO(services.gallery_favourites_csv(gallery=gallery))))
    assert rows[0] == ["file_name", "guest_name", "guest", "favourited_at"]
    assert [row[:3] for row in rows[1:]] == [
        ["IMG_0000.CR3.jpg", "'=HYPERLINK(evil)", "Guest 2"],
        ["IMG_0001.CR3.jpg", "", "Guest 1"],
        ["IMG_0001.CR3.jpg", "'=HYPERLINK(evil)", "Guest 2"],
    ]


def test_its_lightroom_line_names_each_hearted_photo_once_without_its_extension(gallery, photos):
    for guest in (ANNA, BEN):
        services.favourite_set(gallery=gallery, photo=photos[2], guest=guest, favourite=True)
    services.favourite_set(gallery=gallery, photo=photos[0], guest=BEN, favourite=True)
    assert services.gallery_favourites_lightroom(gallery=gallery) == "IMG_0000.CR3, IMG_0002.CR3"
    assert services.gallery_favourites_lightroom(gallery=make_gallery()) == ""
