from galleries.models import Gallery, Photo
from galleries.tests.factories import make_gallery, upload_photo


def test_the_list_shows_photo_counts_and_progress(organizer_client):
    gallery = make_gallery(name="Marathon 2026")
    upload_photo(gallery)
    upload_photo(gallery, process=False)

    response = organizer_client.get("/admin/galleries/gallery/", {"q": "marathon"})

    assert "Marathon 2026" in response.text
    assert '<progress value="1" max="2"></progress> 1/2' in response.text


def test_an_organizer_creates_a_private_gallery(organizer_client, organizer):
    response = organizer_client.post(
        "/admin/galleries/gallery/add/",
        {
            "name": "Anna & Ben",
            "slug": "anna-ben",
            "event_date": "2026-06-20",
            "description": "",
            "visibility": "private",
            "access_code": "two rings",
            "is_published": "on",
        },
    )

    assert response.status_code == 302
    gallery = Gallery.objects.get(slug="anna-ben")
    assert gallery.is_private and gallery.owner == organizer


def test_a_private_gallery_without_a_code_is_refused(organizer_client):
    response = organizer_client.post(
        "/admin/galleries/gallery/add/",
        {"name": "Secret", "slug": "secret", "visibility": "private", "access_code": ""},
    )

    assert response.status_code == 200
    assert "A private gallery needs an access code." in response.text
    assert not Gallery.objects.exists()


def test_the_cover_is_chosen_among_the_gallerys_photos(organizer_client):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    stranger = upload_photo(make_gallery())

    response = organizer_client.post(
        "/admin/galleries/photo/",
        {"action": "make_cover", "_selected_action": [photo.pk]},
    )
    form = organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/").context["adminform"].form

    assert response.status_code == 302
    gallery.refresh_from_db()
    assert gallery.cover == photo
    assert list(form.fields["cover"].queryset) == [photo]
    assert stranger not in form.fields["cover"].queryset


def test_deleting_photos_in_the_admin_deletes_their_files(organizer_client, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    storage = photo.original.storage

    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(
            "/admin/galleries/photo/",
            {"action": "delete_selected", "_selected_action": [photo.pk], "post": "yes"},
        )

    assert not Photo.objects.exists()
    assert not any(storage.exists(name) for name in photo.stored_names)


def test_deleting_a_gallery_in_the_admin_deletes_its_files(organizer_client, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    photo = upload_photo(gallery)
    storage = photo.original.storage

    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(f"/admin/galleries/gallery/{gallery.pk}/delete/", {"post": "yes"})

    assert not Gallery.objects.exists()
    assert not any(storage.exists(name) for name in photo.stored_names)


def test_failed_photos_show_their_reason_and_can_be_retried(organizer_client, django_capture_on_commit_callbacks):
    gallery = make_gallery()
    photo = upload_photo(gallery, process=False)
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.FAILED, error="The thumbnails could not be stored")

    listing = organizer_client.get("/admin/galleries/photo/", {"status__exact": "failed"})
    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post("/admin/galleries/photo/", {"action": "reprocess", "_selected_action": [photo.pk]})

    assert "The thumbnails could not be stored" in listing.text
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
