"""Organizers make and revoke API keys in the admin; a key is shown once."""

from django.contrib.auth.models import Permission
from django.test import Client

from api.models import ApiKey
from api.services import api_key_authenticate, api_key_create
from galleries.tests.factories import make_user


def _organizer_client():
    user = make_user(staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="api"))
    client = Client()
    client.force_login(user)
    return user, client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_new_key_is_shown_once_in_a_message_and_works(db):
    user, client = _organizer_client()

    response = client.post("/admin/api/apikey/add/", {"name": "Uploader"}, follow=True)

    [message] = [m for m in _messages(response) if "not shown again" in m]
    key = next(word for word in message.split() if word.startswith("eg_"))
    api_key = ApiKey.objects.get()
    assert (api_key.user, api_key.name) == (user, "Uploader")
    assert api_key_authenticate(key=key) == api_key
    page = client.get(f"/admin/api/apikey/{api_key.pk}/change/")
    assert key not in page.text
    assert key not in client.get("/admin/api/apikey/").text


def test_organizers_see_and_revoke_only_their_own_keys(db):
    user, client = _organizer_client()
    mine, my_key = api_key_create(user=user, name="Mine")
    theirs, _ = api_key_create(user=make_user(staff=True), name="Theirs")

    listing = client.get("/admin/api/apikey/")
    client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]})

    assert "Mine" in listing.text and "Theirs" not in listing.text
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked
    assert api_key_authenticate(key=my_key) is None


def test_a_superuser_makes_a_key_for_another_organizer(admin_client, db):
    organizer = make_user(staff=True)

    admin_client.post("/admin/api/apikey/add/", {"name": "For them", "user": organizer.pk})

    assert ApiKey.objects.get().user == organizer
