"""The access policy itself (galleries/access.py): who manages a gallery, which galleries
a visitor may know of and open, which photos they may see. Every route asks it; the
matrix in eventgallery/tests/test_every_route.py checks that they do."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404
from django.test import RequestFactory

from api.models import ApiKey
from api.services import api_key_create
from galleries import access
from galleries.access import gallery_unlock
from galleries.models import Gallery, Photo
from galleries.tests.factories import bulk_ready_photos, make_gallery, make_user

PRIVATE = Gallery.Visibility.PRIVATE
UNLISTED = Gallery.Visibility.UNLISTED


@pytest.fixture
def owner(db):
    return make_user(staff=True, username="owner")


@pytest.fixture
def other(db):
    """Another organizer: staff, not superuser, galleries of their own."""
    return make_user(staff=True, username="other")


@pytest.fixture
def superuser(db):
    return make_user(superuser=True, username="root")


def _visitor(user=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return request


def _photos(gallery, *statuses) -> list[Photo]:
    photos = bulk_ready_photos(gallery, len(statuses))
    for photo, status in zip(photos, statuses, strict=True):
        Photo.objects.filter(pk=photo.pk).update(status=status)
    return list(Photo.objects.select_related("gallery").filter(pk__in=[p.pk for p in photos]).order_by("pk"))


def _photo(gallery) -> Photo:
    [photo] = _photos(gallery, Photo.Status.READY)
    return photo


# --- Managing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields", [{}, {"is_published": False}, {"visibility": UNLISTED}, {"visibility": PRIVATE}], ids=str
)
def test_it_lets_the_owner_and_superusers_manage_a_gallery_whatever_its_state(owner, other, superuser, fields):
    gallery = make_gallery(owner=owner, **fields)

    assert access.can_manage_gallery(owner, gallery)
    assert access.can_manage_gallery(superuser, gallery)
    assert not access.can_manage_gallery(other, gallery)
    assert not access.can_manage_gallery(AnonymousUser(), gallery)


def test_a_gallery_without_an_owner_is_managed_by_superusers_only(other, superuser):
    gallery = make_gallery(owner=None)

    assert access.can_manage_gallery(superuser, gallery)
    assert not access.can_manage_gallery(other, gallery)
    assert list(access.galleries_managed_by(other)) == []


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}], ids=["inactive", "no longer staff"])
def test_an_owner_who_may_no_longer_sign_in_to_the_admin_manages_nothing(owner, change):
    gallery = make_gallery(owner=owner)
    for name, value in change.items():
        setattr(owner, name, value)
    owner.save()

    assert not access.can_manage_gallery(owner, gallery)
    assert list(access.galleries_managed_by(owner)) == []
    assert list(access.photos_managed_by(owner)) == []


def test_galleries_managed_by_are_the_users_own_and_all_for_a_superuser(owner, other, superuser):
    mine = [make_gallery(owner=owner), make_gallery(owner=owner, is_published=False)]
    theirs = make_gallery(owner=other)

    assert set(access.galleries_managed_by(owner)) == set(mine)
    assert set(access.galleries_managed_by(other)) == {theirs}
    assert set(access.galleries_managed_by(superuser)) == {*mine, theirs}
    assert list(access.galleries_managed_by(AnonymousUser())) == []


def test_galleries_managed_by_narrows_the_queryset_it_is_given(owner):
    draft = make_gallery(owner=owner, is_published=False)
    make_gallery(owner=owner)

    assert list(access.galleries_managed_by(owner, Gallery.objects.filter(is_published=False))) == [draft]


def test_photos_follow_their_gallery(owner, other, superuser):
    mine = _photo(make_gallery(owner=owner))
    theirs = _photo(make_gallery(owner=other))

    assert list(access.photos_managed_by(owner)) == [mine]
    assert list(access.of_managed_galleries(Photo.objects.all(), other)) == [theirs]
    assert set(access.photos_managed_by(superuser)) == {mine, theirs}
    assert list(access.photos_managed_by(AnonymousUser())) == []


def test_api_keys_are_their_organizers_own(owner, other, superuser):
    mine, _ = api_key_create(user=owner, name="Mine")
    theirs, _ = api_key_create(user=other, name="Theirs")

    assert list(access.owned_by(ApiKey.objects.all(), owner, owner_field="user")) == [mine]
    assert set(access.owned_by(ApiKey.objects.all(), superuser, owner_field="user")) == {mine, theirs}
    assert list(access.owned_by(ApiKey.objects.all(), AnonymousUser(), owner_field="user")) == []


# --- Seeing -------------------------------------------------------------------------------


def test_only_published_public_galleries_are_listed(owner):
    listed = make_gallery(owner=owner)
    make_gallery(owner=owner, is_published=False)
    make_gallery(owner=owner, visibility=UNLISTED)
    make_gallery(owner=owner, visibility=PRIVATE)

    assert list(access.galleries_listed()) == [listed]


def test_the_api_shows_a_caller_the_listed_galleries_and_those_they_manage(owner, other, superuser):
    listed = make_gallery(owner=owner)
    drafts = {make_gallery(owner=owner, is_published=False), make_gallery(owner=owner, visibility=UNLISTED)}
    others = make_gallery(owner=other, visibility=PRIVATE)

    assert set(access.galleries_visible_to(None)) == {listed}
    assert set(access.galleries_visible_to(AnonymousUser())) == {listed}
    assert set(access.galleries_visible_to(owner)) == {listed, *drafts}
    assert set(access.galleries_visible_to(other)) == {listed, others}
    assert set(access.galleries_visible_to(superuser)) == {listed, *drafts, others}


def test_a_draft_is_found_by_those_who_manage_it_only(owner, other, superuser):
    draft = make_gallery(owner=owner, is_published=False)

    assert access.gallery_for_visitor(_visitor(owner), draft.slug) == draft
    assert access.gallery_for_visitor(_visitor(superuser), draft.slug) == draft
    for visitor in (_visitor(other), _visitor()):
        with pytest.raises(Http404):
            access.gallery_for_visitor(visitor, draft.slug)


def test_published_galleries_are_found_by_anyone_with_their_link(owner):
    for visibility in (Gallery.Visibility.PUBLIC, UNLISTED, PRIVATE):
        gallery = make_gallery(owner=owner, visibility=visibility)
        assert access.gallery_for_visitor(_visitor(), gallery.slug) == gallery


def test_an_address_without_a_gallery_is_not_found(db):
    with pytest.raises(Http404):
        access.gallery_for_visitor(_visitor(), "no-such-gallery")


def test_a_private_gallery_opens_to_those_who_manage_it_and_to_guests_with_its_code(owner, other, superuser):
    gallery = make_gallery(owner=owner, visibility=PRIVATE, access_code="letmein")
    guest = _visitor()
    gallery_unlock(gallery=gallery, session=guest.session, code="letmein")

    assert access.gallery_is_open(_visitor(owner), gallery)
    assert access.gallery_is_open(_visitor(superuser), gallery)
    assert access.gallery_is_open(guest, gallery)
    assert not access.gallery_is_open(_visitor(), gallery)
    # Another organizer is a guest there: they need the code too.
    assert not access.gallery_is_open(_visitor(other), gallery)


def test_a_new_code_locks_out_the_guests_who_had_the_old_one(owner):
    gallery = make_gallery(owner=owner, visibility=PRIVATE, access_code="letmein")
    guest = _visitor()
    gallery_unlock(gallery=gallery, session=guest.session, code="letmein")

    gallery.access_code = "something-else"
    gallery.save()

    assert not access.gallery_is_open(guest, gallery)


def test_a_code_opens_only_its_own_gallery(owner):
    first = make_gallery(owner=owner, visibility=PRIVATE, access_code="letmein")
    second = make_gallery(owner=owner, visibility=PRIVATE, access_code="letmein")
    guest = _visitor()
    gallery_unlock(gallery=first, session=guest.session, code="letmein")

    assert access.gallery_is_open(guest, first)
    assert not access.gallery_is_open(guest, second)


@pytest.mark.parametrize("status", [Photo.Status.PENDING, Photo.Status.PROCESSING, Photo.Status.FAILED])
def test_a_guest_sees_ready_photos_only_and_the_owner_those_in_progress_too(owner, other, status):
    gallery = make_gallery(owner=owner)
    ready, unfinished = _photos(gallery, Photo.Status.READY, status)

    assert access.photo_is_visible(_visitor(), ready)
    assert access.photo_is_visible(_visitor(other), ready)
    assert not access.photo_is_visible(_visitor(), unfinished)
    assert not access.photo_is_visible(_visitor(other), unfinished)
    assert access.photo_is_visible(_visitor(owner), unfinished)


def test_a_ready_photo_of_a_draft_is_seen_by_those_who_manage_it_only(owner, other, superuser):
    photo = _photo(make_gallery(owner=owner, is_published=False))

    assert access.photo_is_visible(_visitor(owner), photo)
    assert access.photo_is_visible(_visitor(superuser), photo)
    assert not access.photo_is_visible(_visitor(other), photo)
    assert not access.photo_is_visible(_visitor(), photo)


def test_a_photo_of_a_private_gallery_is_seen_after_its_code(owner, other):
    gallery = make_gallery(owner=owner, visibility=PRIVATE, access_code="letmein")
    photo = _photo(gallery)
    guest = _visitor()
    gallery_unlock(gallery=gallery, session=guest.session, code="letmein")

    assert access.photo_is_visible(guest, photo)
    assert not access.photo_is_visible(_visitor(other), photo)
    assert not access.photo_is_visible(_visitor(), photo)
