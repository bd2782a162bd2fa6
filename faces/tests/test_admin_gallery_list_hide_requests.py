"""The admin's gallery list shows each gallery's hide requests at a glance ("1 waiting",
"1 applied", each a link to those requests), in the list's own query, and counts
Find me's progress over the same photos after a hide ("2/2 indexed", not "3/2")."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faces.models import HideRequest, HideRequestPhoto
from faces.tests.find_me import each_photo_indexed_once
from faces.tests.hide_me import gallery_with_the_person, hide_url, search
from galleries.tests.factories import make_gallery, upload_photo

LIST = "/admin/galleries/gallery/"


@pytest.fixture(scope="module", autouse=True)
def _index_each_photo_once():
    with each_photo_indexed_once():
        yield


def _request(gallery, photo, status):
    hide_request = HideRequest.objects.create(gallery=gallery, action="hide", status=status)
    HideRequestPhoto.objects.create(hide_request=hide_request, photo=photo)
    return hide_request


def test_the_list_counts_waiting_and_applied_requests_with_links_to_them(organizer_client):
    gallery = make_gallery(name="Summer party", face_search_enabled=True)
    photo = upload_photo(gallery)
    _request(gallery, photo, HideRequest.Status.PENDING)
    _request(gallery, photo, HideRequest.Status.PENDING)
    _request(gallery, photo, HideRequest.Status.APPLIED)
    _request(gallery, photo, HideRequest.Status.REJECTED)
    quiet = make_gallery(name="Quiet one")

    page = html.unescape(organizer_client.get(LIST).text)

    waiting = f"/admin/faces/hiderequest/?gallery__id__exact={gallery.pk}&status__exact=pending"
    applied = f"/admin/faces/hiderequest/?gallery__id__exact={gallery.pk}&status__exact=applied"
    assert f'<a href="{waiting}" class="hide-requests-waiting">2 waiting</a>' in page
    assert f'<a href="{applied}" class="hide-requests-applied">1 applied</a>' in page
    assert f"/admin/faces/hiderequest/?gallery__id__exact={quiet.pk}" not in page
    # The link lands on those requests only.
    listed = organizer_client.get(waiting)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2


def test_the_counts_cost_no_query_per_gallery(organizer_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert organizer_client.get(LIST).status_code == 200
        return len(captured)

    gallery = make_gallery(face_search_enabled=True)
    _request(gallery, upload_photo(gallery), HideRequest.Status.PENDING)
    one = queries()
    for _ in range(3):
        other = make_gallery(face_search_enabled=True)
        _request(other, upload_photo(other), HideRequest.Status.APPLIED)

    assert queries() == one


def test_after_a_hide_both_counts_are_of_the_same_photos(
    organizer_client, consenting_client, django_capture_on_commit_callbacks
):
    gallery, (group, alone, table) = gallery_with_the_person(django_capture_on_commit_callbacks, name="Wedding")
    assert "3/3 indexed" in organizer_client.get(LIST).text

    token = search(consenting_client, gallery)
    with django_capture_on_commit_callbacks(execute=True):
        response = consenting_client.post(hide_url(gallery), {"r": token, "photo": [str(group.key)]})
    assert response.status_code == 303

    page = organizer_client.get(LIST).text
    assert "2/2 indexed" in page
    assert "1 applied" in page
