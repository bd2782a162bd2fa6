"""The red team's lock-out recipe under real gunicorn: wrong codes from several loopback
addresses (other clients, as the socket address tells them apart with
TRUSTED_PROXY_COUNT unset) fill a private gallery's limit; then the right code from a
fresh address, and from a guesser's own address, still gets in. On each store."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings as django_settings

from galleries.models import Gallery
from galleries.tests.factories import make_gallery
from ops.tests.gunicorn_server import Browser
from ops.tests.test_ratelimits_gunicorn import (  # noqa: F401 (fixtures)
    CODE,
    _all_at_once,
    gunicorn,
    store,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_wrong_codes_from_many_addresses_do_not_lock_out_the_right_code(gunicorn):  # noqa: F811
    private = make_gallery(visibility=Gallery.Visibility.PRIVATE, access_code=CODE)
    access = f"/g/{private.slug}/access/"
    per_address = django_settings.ACCESS_CODE_TRIES_PER_ADDRESS
    per_gallery = django_settings.ACCESS_CODE_TRIES_PER_GALLERY
    assert "TRUSTED_PROXY_COUNT" not in gunicorn.environment
    gunicorn.start()

    # Three addresses, a fresh device for every wrong code: the gallery's limit is met
    # (each address stays under its own), and wrong codes are refused from then on.
    guesser = Browser(gunicorn.port)
    guesser.open_form(access)
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    tries = per_gallery + 15
    assert tries // len(sources) < per_address
    statuses = _all_at_once(
        [lambda n=n: guesser.fresh(sources[n % 3]).post(access, {"code": f"guess-{n}"}) for n in range(tries)]
    )
    assert statuses == Counter({403: per_gallery, 429: tries - per_gallery})
    assert guesser.fresh("127.0.0.6").post(access, {"code": "another-guess"}) == 429

    # The right code: from a fresh address, and from a device at a guessing address.
    for source in ["127.0.0.7", "127.0.0.2"]:
        guest = guesser.fresh(source)
        assert guest.post(access, {"code": CODE}) == 302
        page = guest.get(private.get_absolute_url())
        assert page.status == 200, page.text[:300]
        assert private.name in page.text

    # An address over its own limit is held, with the right code too.
    statuses = _all_at_once(
        [lambda n=n: guesser.fresh("127.0.0.8").post(access, {"code": f"more-{n}"}) for n in range(per_address)]
    )
    assert statuses == Counter({429: per_address})
    # Its wrong codes were checked (refused for the gallery) and counted for the address.
    assert guesser.fresh("127.0.0.8").post(access, {"code": CODE}) == 429
    assert guesser.fresh("127.0.0.9").post(access, {"code": CODE}) == 302
