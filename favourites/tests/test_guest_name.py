"""POST /g/<slug>/favourites/name/: a guest's name, once per device and gallery, optional."""

from django.test import Client

from favourites.models import GuestName


def test_it_keeps_the_name_for_this_device_and_shows_it_back(client, gallery):
    response = client.post("/g/anna-ben/favourites/name/", {"name": "  Aunt  Edna "}, follow=True)
    assert response.redirect_chain == [("/g/anna-ben/favourites/", 302)]
    body = response.content.decode()
    assert "Thank you, Aunt Edna." in body
    assert 'value="Aunt Edna"' in body and "as Aunt Edna" in body
    assert "as Aunt Edna" not in Client().get("/g/anna-ben/favourites/").content.decode()

    client.post("/g/anna-ben/favourites/name/", {"name": "Edna"})
    assert list(GuestName.objects.values_list("name", flat=True)) == ["Edna"]


def test_an_empty_name_removes_it(client, gallery):
    client.post("/g/anna-ben/favourites/name/", {"name": "Edna"})
    response = client.post("/g/anna-ben/favourites/name/", {"name": ""}, follow=True)
    assert "Your name was removed." in response.content.decode()
    assert not GuestName.objects.exists()


def test_a_name_too_long_is_refused_and_nothing_is_kept(client, gallery):
    response = client.post("/g/anna-ben/favourites/name/", {"name": "x" * 81}, follow=True)
    assert "at most 80 characters" in response.content.decode()
    assert not GuestName.objects.exists()
