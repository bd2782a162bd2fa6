from api.services import api_key_create
from galleries.tests.factories import make_user


def make_api_key(user=None, *, name="Upload app") -> str:
    """A new key (of a new organizer unless one is given), as the client sends it."""
    _, key = api_key_create(user=user or make_user(staff=True), name=name)
    return key


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
