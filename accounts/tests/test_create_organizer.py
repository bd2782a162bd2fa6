import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.services import ORGANIZERS_GROUP
from galleries.tests.factories import make_gallery, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-organizer-passphrase"


def test_it_makes_an_organizer_who_signs_in_and_sees_only_their_own_galleries(client, monkeypatch):
    monkeypatch.setenv("ORGANIZER_PASSWORD", PASSWORD)
    someone_else = make_user(staff=True)
    make_gallery(name="Someone else's wedding", owner=someone_else)

    call_command("create_organizer", "studio-anna", "--email", "anna@example.org")

    anna = get_user_model().objects.get(username="studio-anna")
    assert anna.is_staff and not anna.is_superuser
    assert anna.groups.filter(name=ORGANIZERS_GROUP).exists()
    signed_in = client.post("/admin/login/?next=/admin/", {"username": "studio-anna", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    make_gallery(name="Anna's own wedding", owner=anna)
    page = client.get("/admin/galleries/gallery/")
    assert page.status_code == 200
    assert "Anna&#x27;s own wedding" in page.text
    assert "Someone else" not in page.text
    assert client.get("/admin/galleries/gallery/add/").status_code == 200


def test_it_refuses_a_weak_password_and_makes_no_account(monkeypatch):
    monkeypatch.setenv("ORGANIZER_PASSWORD", "123")

    with pytest.raises(CommandError, match="too short"):
        call_command("create_organizer", "studio-anna")

    assert not get_user_model().objects.filter(username="studio-anna").exists()


def test_it_makes_an_existing_account_an_organizer_and_keeps_its_password(monkeypatch):
    monkeypatch.delenv("ORGANIZER_PASSWORD", raising=False)
    existing = make_user(username="ben")
    existing.set_password(PASSWORD)
    existing.save()

    call_command("create_organizer", "ben", "--no-password")

    existing.refresh_from_db()
    assert existing.is_staff
    assert existing.check_password(PASSWORD)
    assert existing.groups.filter(name=ORGANIZERS_GROUP).exists()


def test_it_asks_for_a_password_source_when_there_is_no_terminal(monkeypatch):
    monkeypatch.delenv("ORGANIZER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    with pytest.raises(CommandError, match="ORGANIZER_PASSWORD"):
        call_command("create_organizer", "studio-anna")

    assert not get_user_model().objects.filter(username="studio-anna").exists()
