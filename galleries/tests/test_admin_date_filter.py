"""The admin lists' date hierarchy refuses a date part no date can have as Django's
admin refuses any bad filter (the list again, with ?e=1), never a 500."""

import datetime

import pytest

from galleries.tests.factories import make_gallery, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "event_date__year=99999999999",
        "event_date__year=2026&event_date__month=99999999999",
        "event_date__year=2026&event_date__month=1&event_date__day=99999999999",
        "event_date__year=-99999999999",
    ],
)
def test_a_year_too_large_for_a_date_gets_the_admins_bad_filter_answer(organizer_client, organizer, query):
    make_gallery(owner=organizer)

    response = organizer_client.get(f"/admin/galleries/gallery/?{query}")

    assert (response.status_code, response["Location"]) == (302, "/admin/galleries/gallery/?e=1")
    assert organizer_client.get(response["Location"]).status_code == 200


def test_a_real_year_still_filters(organizer_client, organizer):
    make_gallery(owner=organizer, name="Summer fair", event_date=datetime.date(2026, 7, 4))
    make_gallery(owner=organizer, name="Winter ball", event_date=datetime.date(2025, 12, 1))

    response = organizer_client.get("/admin/galleries/gallery/?event_date__year=2026")

    assert response.status_code == 200
    assert "Summer fair" in response.text and "Winter ball" not in response.text


def test_the_receipts_list_refuses_it_too(client):
    client.force_login(make_user(superuser=True))
    response = client.get("/admin/faces/consentreceipt/?created_at__year=99999999999")

    assert (response.status_code, response["Location"]) == (302, "/admin/faces/consentreceipt/?e=1")
