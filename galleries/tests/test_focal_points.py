"""Covers that keep heads: the focal point recorded when a photo's faces are indexed (the
real local engine, on the suite's real face photos), and the crops the pages make with
it computed as a browser draws them (object-fit: cover), never eyeballed."""

import itertools
import re

import pytest

from faces.tests import face_images
from faces.tests.find_me import add_photos, face_search_gallery, jpeg
from faces.tests.test_rekognition_pipeline import FACE_IDS, stubber  # noqa: F401 (a fixture)
from galleries import focal
from galleries.focal import FocalPoint, Region
from galleries.models import Photo
from galleries.tests.factories import make_gallery, unique_jpeg, upload_photo

# The frames the covers are drawn in (static/galleries/site.css): the hero of a desktop
# at 1280 × 800 and 1920 × 1080 (64 % of the window's height), a phone's home page card (3:2).
DESKTOP_HERO = 1280 / (0.64 * 800)
WIDE_DESKTOP_HERO = 1920 / (0.64 * 1080)
PHONE_CARD = 3 / 2
LINK_PREVIEW = 1200 / 630


def face_regions(photo) -> list[Region]:
    return [
        Region(
            left=face.box_left,
            top=face.box_top,
            right=face.box_left + face.box_width,
            bottom=face.box_top + face.box_height,
        )
        for face in photo.faces.all()
    ]


def shown(photo, frame_aspect: float, point: FocalPoint) -> Region:
    return focal.visible_region(width=photo.width, height=photo.height, frame_aspect=frame_aspect, focal=point)


def the_group_at_the_top_of_a_portrait():
    """A portrait frame (2:3) whose six people sit in its top third: a 3:2 card cut at its
    middle shows only the table."""
    return face_images.event_shot(face_images.group_photo(), scale=1.4, at=(100, 150), size=(2000, 3000))


@pytest.mark.django_db
def test_it_keeps_every_face_of_the_group_photo_in_a_desktop_hero_that_a_centre_crop_cuts(
    django_capture_on_commit_callbacks,
):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.group_photo()], django_capture_on_commit_callbacks)
    photo.refresh_from_db()
    faces = face_regions(photo)
    assert len(faces) == 6
    point = focal.stored(photo.focal_x, photo.focal_y)
    assert point is not None

    for frame in (DESKTOP_HERO, WIDE_DESKTOP_HERO, PHONE_CARD, LINK_PREVIEW):
        visible = shown(photo, frame, point)
        assert all(visible.contains(face) for face in faces), (frame, point, visible)
    # What the hero did before: the man standing at the back lost his forehead.
    centre = shown(photo, DESKTOP_HERO, focal.CENTRE)
    assert not all(centre.contains(face) for face in faces)


@pytest.mark.django_db
def test_it_keeps_a_group_at_the_top_of_a_portrait_in_a_phone_card(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [the_group_at_the_top_of_a_portrait()], django_capture_on_commit_callbacks)
    photo.refresh_from_db()
    faces = face_regions(photo)
    assert len(faces) == 6
    point = focal.stored(photo.focal_x, photo.focal_y)

    for frame in (DESKTOP_HERO, PHONE_CARD, LINK_PREVIEW):
        visible = shown(photo, frame, point)
        assert all(visible.contains(face) for face in faces), (frame, point, visible)
    assert not any(shown(photo, PHONE_CARD, focal.CENTRE).contains(face) for face in faces)


@pytest.mark.django_db
def test_it_keeps_the_centre_for_a_photo_without_faces(django_capture_on_commit_callbacks):
    gallery = face_search_gallery()
    [photo] = add_photos(gallery, [face_images.table()], django_capture_on_commit_callbacks)
    photo.refresh_from_db()
    assert photo.faces.count() == 0
    assert (photo.focal_x, photo.focal_y) == (None, None)
    assert focal.cover_focal_point(gallery, photo) == focal.CENTRE


@pytest.mark.django_db
def test_it_records_no_focal_point_without_find_me():
    photo = upload_photo(make_gallery(), content=jpeg(face_images.group_photo()))
    assert (photo.focal_x, photo.focal_y) == (None, None)


def test_it_leaves_out_the_small_faces_in_the_background():
    front = (0.6, 0.5, 0.2, 0.3)
    background = (0.05, 0.05, 0.04, 0.06)
    assert focal.heads_region([front, background]) == focal.heads_region([front])


@pytest.mark.parametrize(
    "region",
    [Region(0.1, 0.05, 0.3, 0.4), Region(0.7, 0.6, 0.95, 0.9), Region(0.45, 0.0, 0.55, 1.0), Region(0, 0, 1, 0.2)],
)
def test_one_position_keeps_a_region_in_every_frame_it_fits_in(region):
    point = focal.focal_point_of_region(region)
    for width, height, frame in itertools.product((4000, 3000, 1000), (4000, 2000), (0.4, 0.66, 1, 1.5, 1.9, 2.5, 3.5)):
        visible = shown_of(width, height, frame, point)
        fits = (visible.right - visible.left) >= region.right - region.left + 0.01 and (
            visible.bottom - visible.top
        ) >= region.bottom - region.top + 0.01
        if fits:
            # Whole percent: a region may lose at most half a percent of the photo at its edge.
            assert visible.contains(region, tolerance=0.005), (width, height, frame, point, visible)


def shown_of(width, height, frame, point):
    return focal.visible_region(width=width, height=height, frame_aspect=frame, focal=point)


def test_a_clicked_point_is_always_in_view():
    point = FocalPoint(x=90, y=10)
    for frame in (0.5, 1, 2, 3):
        visible = shown_of(3000, 2000, frame, point)
        assert visible.left <= 0.9 <= visible.right and visible.top <= 0.1 <= visible.bottom


@pytest.mark.django_db
def test_the_hero_and_the_home_card_are_cut_at_the_focal_point(client):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=600, height=400))
    photo.focal_x, photo.focal_y = 30, 12
    photo.save()
    gallery.cover = photo
    gallery.save()

    hero = client.get(gallery.get_absolute_url()).content.decode()
    assert re.search(r'<img class="hero-image"[^>]* style="object-position: 30% 12%"', hero)
    home = client.get("/").content.decode()
    assert re.search(r'<img [^>]*style="object-position: 30% 12%"', home)

    gallery.cover_focal_x, gallery.cover_focal_y = 80, 70
    gallery.save()  # the organizer's own point moves the gallery's updated_at: no old page
    assert 'style="object-position: 80% 70%"' in client.get(gallery.get_absolute_url()).content.decode()
    assert 'style="object-position: 80% 70%"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_organizers_point_is_the_covers_only():
    gallery = make_gallery(cover_focal_x=80, cover_focal_y=70)
    cover, other = (upload_photo(gallery) for _ in range(2))
    gallery.cover = cover
    assert focal.cover_focal_point(gallery, cover) == FocalPoint(80, 70)
    assert focal.cover_focal_point(gallery, other) == focal.CENTRE


@pytest.mark.django_db
def test_the_home_card_of_a_gallery_without_a_cover_uses_its_first_photos_point(client):
    gallery = make_gallery()
    photo = upload_photo(gallery, content=unique_jpeg(width=400, height=600))
    photo.focal_x, photo.focal_y = 50, 15
    photo.save()
    assert 'style="object-position: 50% 15%"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_migration_gives_photos_indexed_before_their_focal_point(django_capture_on_commit_callbacks):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("galleries.migrations.0013_focal_points_from_faces")
    gallery = face_search_gallery()
    group, table = add_photos(
        gallery, [face_images.group_photo(), face_images.table()], django_capture_on_commit_callbacks
    )
    group.refresh_from_db()
    indexed = (group.focal_x, group.focal_y)
    Photo.objects.update(focal_x=None, focal_y=None)  # as indexed before focal points existed

    migration.focal_points_from_faces(apps, None)

    group.refresh_from_db()
    table.refresh_from_db()
    assert (group.focal_x, group.focal_y) == indexed != (None, None)
    assert (table.focal_x, table.focal_y) == (None, None)


@pytest.mark.django_db
def test_rekognitions_boxes_give_the_focal_point_too(stubber, django_capture_on_commit_callbacks):  # noqa: F811
    from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
    from faces.tests.test_rekognition_engine import _box_around, _face_detail, _face_record

    gallery = make_gallery(face_search_enabled=True)
    collection = f"eventgallery-gallery-{gallery.pk}"
    details = [_face_detail(_box_around(GROUP_PHOTO_FACE_CENTRES[i], 120)) for i in (1, 4)]
    stubber.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    stubber.add_response("create_collection", {"StatusCode": 200}, {"CollectionId": collection})
    with django_capture_on_commit_callbacks(execute=True):
        photo = upload_photo(gallery, content=jpeg(face_images.group_photo()), process=False)
        stubber.add_response(
            "index_faces",
            {
                "FaceRecords": [
                    _face_record(d, face_id=f, photo_id=photo.pk) for d, f in zip(details, FACE_IDS, strict=True)
                ]
            },
        )
    photo.refresh_from_db()
    assert photo.faces.count() == 2
    point = focal.stored(photo.focal_x, photo.focal_y)
    for frame in (DESKTOP_HERO, PHONE_CARD, LINK_PREVIEW):
        visible = shown(photo, frame, point)
        assert all(visible.contains(face) for face in face_regions(photo)), (frame, point)
