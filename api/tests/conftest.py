import pytest

from api.tests.factories import make_api_key
from galleries.tests.factories import make_user


@pytest.fixture
def owner(db):
    """An organizer (staff, not superuser) whose key the tests use."""
    return make_user(staff=True, username="owner")


@pytest.fixture
def owner_key(owner):
    return make_api_key(owner)


@pytest.fixture
def other_key(db):
    """Another organizer's key."""
    return make_api_key()
