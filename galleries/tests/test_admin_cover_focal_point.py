"""The organizer's own focal point of the cover, on the gallery's change form: two numbers
without JavaScript, a click on the cover with it (static/galleries/admin-focal.js)."""

import pytest

from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.tests.factories import make_gallery, make_organizer, unique_jpeg, upload_photo
from galleries.tests.test_browser import IMAGE_LOADED, watched_browser


@pytest.fixture
def owner(db):
    return make_organizer(username="owner")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _change_form_data(gallery, **changes):
    data = {
        "name": gallery.name,
        "slug": gallery.slug,
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "is_published": "on",
        "cover": gallery.cover_id or "",
        "cover_focal_x": "" if gallery.cover_focal_x is None else gallery.cover_focal_x,
        "cover_focal_y": "" if gallery.cover_focal_y is None else gallery.cover_focal_y,
    }
    return {**data, **changes}


def _with_cover(owner, count=1):
    gallery = make_gallery(owner=owner)
    photos = [upload_photo(gallery, content=unique_jpeg(width=600, height=400)) for _ in range(count)]
    gallery.cover = photos[0]
    gallery.save()
    return gallery, photos


def test_it_saves_the_two_numbers_and_shows_the_cover_to_click(owner_client, owner):
    gallery, [cover] = _with_cover(owner)
    url = f"/admin/galleries/gallery/{gallery.pk}/change/"
    page = owner_client.get(url).text
    assert 'class="cover-focus-image"' in page
    assert 'id="id_cover_focal_x"' in page and 'id="id_cover_focal_y"' in page

    response = owner_client.post(url, _change_form_data(gallery, cover_focal_x=25, cover_focal_y=10))
    assert response.status_code == 302
    gallery.refresh_from_db()
    assert (gallery.cover_focal_x, gallery.cover_focal_y) == (25, 10)
    assert 'style="left:25%;top:10%"' in owner_client.get(url).text


def test_a_new_cover_starts_from_its_own_faces(owner_client, owner):
    gallery, [_, other] = _with_cover(owner, count=2)
    gallery.cover_focal_x, gallery.cover_focal_y = 25, 10
    gallery.save()
    response = owner_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _change_form_data(gallery, cover=other.pk)
    )
    assert response.status_code == 302
    gallery.refresh_from_db()
    assert gallery.cover_id == other.pk
    assert (gallery.cover_focal_x, gallery.cover_focal_y) == (None, None)


@pytest.mark.parametrize("x, y", [(30, ""), (101, 20)])
def test_it_refuses_half_a_point_or_one_off_the_photo(owner_client, owner, x, y):
    gallery, _ = _with_cover(owner)
    response = owner_client.post(
        f"/admin/galleries/gallery/{gallery.pk}/change/", _change_form_data(gallery, cover_focal_x=x, cover_focal_y=y)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    gallery.refresh_from_db()
    assert (gallery.cover_focal_x, gallery.cover_focal_y) == (None, None)


@pytest.mark.browser
def test_a_click_on_the_cover_sets_the_point_that_the_hero_keeps(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    owner = make_organizer(username="owner")
    gallery = face_search_gallery(owner=owner, name="Summer party")
    cover = upload_photo(gallery, content=jpeg(face_images.group_photo()))
    gallery.cover = cover
    gallery.save()
    site = live_server.url

    with watched_browser({"width": 1280, "height": 900}) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(site + "/admin/login/")
        page.locator("#id_username").fill("owner")
        page.locator("#id_password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{site}/admin/galleries/gallery/{gallery.pk}/change/")
        image = page.locator(".cover-focus-image")
        page.wait_for_function(IMAGE_LOADED, arg=image.element_handle())
        box = image.bounding_box()
        image.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.75})
        expect(page.locator("#id_cover_focal_x")).to_have_value("20")
        expect(page.locator("#id_cover_focal_y")).to_have_value("75")
        mark = page.locator(".cover-focus-mark").bounding_box()
        assert abs(mark["x"] + mark["width"] / 2 - (box["x"] + box["width"] * 0.2)) < 2
        page.get_by_role("button", name="Save and continue editing").click()
        page.wait_for_load_state()

        page.goto(site + gallery.get_absolute_url())
        position = page.locator(".hero-image").evaluate("image => getComputedStyle(image).objectPosition")
        assert position == "20% 75%"
        assert not script_errors
        assert policy.violations == []

    gallery.refresh_from_db()
    assert (gallery.cover_focal_x, gallery.cover_focal_y) == (20, 75)
