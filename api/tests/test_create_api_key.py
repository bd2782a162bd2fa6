"""python manage.py create_api_key <username>"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from api.models import ApiKey
from api.services import api_key_authenticate
from galleries.tests.factories import make_user


def test_it_prints_a_working_key_as_its_last_word(db):
    user = make_user(staff=True, username="ada")
    out = StringIO()

    call_command("create_api_key", "ada", stdout=out)

    key = out.getvalue().split()[-1]
    assert api_key_authenticate(key=key).user == user
    assert key not in str(list(ApiKey.objects.values()))


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("create_api_key", "nobody")


def test_it_refuses_someone_who_is_not_an_organizer(db):
    make_user(username="guest")

    with pytest.raises(CommandError, match="not an active organizer"):
        call_command("create_api_key", "guest")
    assert not ApiKey.objects.exists()
