import pytest


@pytest.fixture
def consenting_client(client, db):
    session = client.session
    session["find_me_consent"] = True
    session.save()
    return client
