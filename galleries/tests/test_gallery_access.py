from django.test import Client

from galleries.models import Gallery
from galleries.tests.factories import make_gallery, upload_photo


def _private_gallery():
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="sunset-42")
    photo = upload_photo(gallery)
    return gallery, photo


def test_the_right_code_opens_the_gallery_for_the_session(client, db):
    gallery, photo = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": " sunset-42 "})

    assert response.status_code == 302
    assert response["Location"] == gallery.get_absolute_url()
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text
    assert client.get(f"/photos/{photo.key}/thumb").status_code == 200


def test_a_wrong_code_is_refused_with_a_message(client, db):
    gallery, photo = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": "guess"})

    assert response.status_code == 403
    assert "That access code is not right" in response.text
    assert client.get(gallery.get_absolute_url()).status_code == 302
    assert client.get(f"/photos/{photo.key}/thumb").status_code == 404


def test_an_empty_code_is_refused(client, db):
    gallery, _ = _private_gallery()

    response = client.post(f"/g/{gallery.slug}/access/", {"code": ""})

    assert response.status_code == 200
    assert "This field is required" in response.text


def test_changing_the_code_locks_earlier_guests_out(client, db):
    gallery, _ = _private_gallery()
    client.post(f"/g/{gallery.slug}/access/", {"code": "sunset-42"})

    gallery.access_code = "new-code"
    gallery.save()

    assert client.get(gallery.get_absolute_url()).status_code == 302


def _guess(client, gallery, code="guess", **extra):
    return client.post(f"/g/{gallery.slug}/access/", {"code": code}, **extra)


def test_guessing_is_slowed_down_per_device(client, db, settings):
    gallery, _ = _private_gallery()
    statuses = [_guess(client, gallery).status_code for _ in range(settings.ACCESS_CODE_TRIES_PER_DEVICE)]

    response = _guess(client, gallery, "sunset-42")

    assert statuses == [403] * settings.ACCESS_CODE_TRIES_PER_DEVICE
    assert response.status_code == 429
    assert "Too many wrong codes" in response.text
    assert 0 < int(response["Retry-After"]) <= settings.ACCESS_CODE_WINDOW_S
    # Another guest's phone on the same Wi-Fi is not held by this one's guesses.
    assert _guess(Client(), gallery, "sunset-42").status_code == 302


def test_a_device_that_clears_its_cookies_is_still_held_by_its_address(client, db, settings):
    settings.ACCESS_CODE_TRIES_PER_DEVICE = 3
    settings.ACCESS_CODE_TRIES_PER_ADDRESS = 5
    gallery, _ = _private_gallery()
    statuses = []
    for _ in range(4):
        statuses += [_guess(client, gallery).status_code for _ in range(2)]
        client.cookies.clear()

    assert statuses == [403] * 5 + [429] * 3
    assert _guess(Client(), gallery, "sunset-42").status_code == 429
    # Another address is not held.
    assert _guess(Client(REMOTE_ADDR="192.0.2.7"), gallery, "sunset-42").status_code == 302


def test_a_guess_spread_over_many_devices_and_addresses_is_held_per_gallery(db, settings):
    settings.ACCESS_CODE_TRIES_PER_GALLERY = 6
    gallery, _ = _private_gallery()
    other_gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="other-code")
    guessers = [Client(REMOTE_ADDR=f"198.51.100.{n}") for n in range(1, 9)]

    statuses = [_guess(guesser, gallery).status_code for guesser in guessers]

    assert statuses == [403] * 6 + [429] * 2
    assert _guess(Client(REMOTE_ADDR="203.0.113.1"), gallery).status_code == 429
    # Only that gallery is held.
    assert _guess(Client(REMOTE_ADDR="203.0.113.1"), other_gallery).status_code == 403


def test_the_right_code_gets_in_while_wrong_codes_hold_the_gallery(db, settings):
    settings.ACCESS_CODE_TRIES_PER_GALLERY = 6
    gallery, photo = _private_gallery()
    guessers = [Client(REMOTE_ADDR=f"198.51.100.{n}") for n in range(1, 4)]
    for guesser in guessers:
        for _ in range(3):
            _guess(guesser, gallery)
    assert _guess(Client(REMOTE_ADDR="203.0.113.1"), gallery).status_code == 429

    guest = Client(REMOTE_ADDR="203.0.113.1")
    response = _guess(guest, gallery, "sunset-42")

    assert response.status_code == 302
    assert str(photo.key) in guest.get(gallery.get_absolute_url()).text
    # A guesser's own device, under its own limit, gets in with the right code too.
    assert _guess(guessers[0], gallery, "sunset-42").status_code == 302
    assert _guess(Client(REMOTE_ADDR="203.0.113.2"), gallery).status_code == 429


def test_wrong_codes_refused_for_the_gallery_still_count_for_the_device(client, db, settings):
    """Else a locked gallery would be an oracle without a limit: 429 for a wrong code,
    a way in for the right one, as often as a device likes."""
    settings.ACCESS_CODE_TRIES_PER_GALLERY = 2
    settings.ACCESS_CODE_TRIES_PER_DEVICE = 5
    gallery, _ = _private_gallery()

    statuses = [_guess(client, gallery).status_code for _ in range(5)]

    assert statuses == [403, 403, 429, 429, 429]
    assert _guess(client, gallery, "sunset-42").status_code == 429
    assert _guess(Client(REMOTE_ADDR="203.0.113.1"), gallery, "sunset-42").status_code == 302


def test_guests_typing_the_right_code_use_up_no_limit(db, settings):
    """A wedding: a hundred phones behind the venue's one address, each typing the code."""
    settings.ACCESS_CODE_TRIES_PER_DEVICE = 2
    settings.ACCESS_CODE_TRIES_PER_ADDRESS = 2
    settings.ACCESS_CODE_TRIES_PER_GALLERY = 2
    gallery, _ = _private_gallery()

    statuses = [_guess(Client(), gallery, "sunset-42").status_code for _ in range(100)]

    assert statuses == [302] * 100
    assert _guess(Client(), gallery).status_code == 403


def test_codes_are_compared_without_regard_to_case_or_surrounding_spaces(client, db):
    gallery, photo = _private_gallery()

    response = _guess(client, gallery, "  SunSet-42 ")

    assert response.status_code == 302
    assert str(photo.key) in client.get(gallery.get_absolute_url()).text


def test_a_code_with_other_characters_inside_is_still_wrong(client, db):
    gallery, _ = _private_gallery()

    assert _guess(client, gallery, "sunset 42").status_code == 403
    assert _guess(client, gallery, "sunset-4").status_code == 403


def test_behind_a_trusted_proxy_guests_are_told_apart_by_the_address_it_forwards(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCESS_CODE_TRIES_PER_ADDRESS = 3
    gallery, _ = _private_gallery()
    for _ in range(3):
        _guess(Client(), gallery, HTTP_X_FORWARDED_FOR="198.51.100.1")

    blocked = _guess(Client(), gallery, "sunset-42", HTTP_X_FORWARDED_FOR="198.51.100.1")
    # Another guest through the same proxy; a forged first entry changes nothing.
    other = _guess(Client(), gallery, "sunset-42", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.2")
    forged = _guess(Client(), gallery, "sunset-42", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1")

    assert blocked.status_code == 429
    assert other.status_code == 302
    assert forged.status_code == 429


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.ACCESS_CODE_TRIES_PER_ADDRESS = 3
    gallery, _ = _private_gallery()
    for _ in range(3):
        _guess(Client(), gallery, HTTP_X_FORWARDED_FOR="198.51.100.1")

    response = _guess(Client(), gallery, "sunset-42", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429


def test_an_existing_code_shorter_than_today_s_rule_keeps_working(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code="Rings")

    assert _guess(client, gallery, "rings").status_code == 302


def test_organizers_need_no_code(organizer_client, db):
    gallery, photo = _private_gallery()

    assert str(photo.key) in organizer_client.get(gallery.get_absolute_url()).text


def test_a_public_gallery_sends_the_access_page_on_to_the_gallery(client, db):
    gallery = make_gallery()

    assert client.get(f"/g/{gallery.slug}/access/")["Location"] == gallery.get_absolute_url()


def test_the_access_page_of_a_draft_is_not_found(client, db):
    gallery = make_gallery(visibility=Gallery.Visibility.PRIVATE, is_published=False)

    assert client.get(f"/g/{gallery.slug}/access/").status_code == 404
