import pytest
from django.test import Client

from galleries.tests.factories import make_user


@pytest.fixture
def organizer(db):
    return make_user(superuser=True, username="organizer")


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client
