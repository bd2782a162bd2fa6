from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from eventgallery import settings as project_settings


def test_passwords_are_hashed_with_argon2_and_older_hashes_still_verify(settings):
    # The test run swaps in a fast hasher (conftest.py): put the project's back.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    encoded = make_password("correct horse battery staple")

    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("correct horse battery staple", encoded)
    older = make_password("correct horse battery staple", hasher="pbkdf2_sha256")
    assert check_password("correct horse battery staple", older)
