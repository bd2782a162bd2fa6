"""A Permissions-Policy header on every response: the camera only on the Find me pages
(their selfie input), off everywhere else; microphone, location and the other features
the site never uses off everywhere."""

import pytest

from faces.tests.hide_me import results_url
from galleries.tests.factories import make_gallery, upload_photo

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


OFF_EVERYWHERE = ("microphone", "geolocation", "payment", "usb", "display-capture", "autoplay")


def _token(gallery):
    from faces.services.results_token import find_me_results_token
    from faces.services.search import SearchResult

    result = SearchResult(matches=[], faces_in_selfie=1, describe_ms=0, search_ms=0)
    return find_me_results_token(gallery=gallery, result=result)


def test_the_find_me_pages_may_use_the_camera_and_nothing_else_may(client, organizer_client):
    gallery = make_gallery(face_search_enabled=True)
    photo = upload_photo(gallery)
    with_camera = [f"/g/{gallery.slug}/find-me/", results_url(gallery, _token(gallery))]
    without = [
        "/",
        gallery.get_absolute_url(),
        f"/g/{gallery.slug}/p/{photo.key}/",
        f"/photos/{photo.key}/display",
        f"/g/{gallery.slug}/slideshow/",
        f"/api/gallery/{gallery.pk}/photos",
        "/healthz",
        "/no-such-page/",
    ]

    for url in with_camera:
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy_of(response)["camera"] == "(self)", url
    for url in without:
        response = client.get(url)
        assert policy_of(response)["camera"] == "()", url
    admin = organizer_client.get("/admin/")
    assert policy_of(admin)["camera"] == "()"
    for response in (client.get(with_camera[0]), client.get("/"), admin):
        policy = policy_of(response)
        assert all(policy[feature] == "()" for feature in OFF_EVERYWHERE)
        assert policy["fullscreen"] == "(self)"  # the slideshow
