"""GET /g/<slug>/favourites/download/: My favourites in one ZIP, streamed like Download
all, of the files the gallery's download policy gives the visitor."""

import io
import zipfile

from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from favourites.tests.conftest import heart
from galleries.models import Gallery, GalleryDownload
from galleries.tests.factories import make_user


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    return archive


def test_it_holds_the_originals_of_this_devices_hearts_and_nothing_else(client, photos):
    heart(client, photos[2])
    heart(client, photos[0])
    heart(Client(), photos[1])
    response = client.get("/g/anna-ben/favourites/download/")
    assert response["Content-Disposition"] == 'attachment; filename="anna-ben-favourites.zip"'
    assert response["Cache-Control"] == "private, no-store"
    archive = _archive(response)
    assert archive.namelist() == ["DSC_0002.jpg", "DSC_0000.jpg"]
    with default_storage.open(photos[2].original.name, "rb") as fh:
        assert archive.read("DSC_0002.jpg") == fh.read()
    download = GalleryDownload.objects.get()
    assert (download.what, download.photo_count) == ("favourites", 2)


def test_it_holds_the_display_images_when_that_is_the_policy(client, photos, gallery):
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.DISPLAY)
    heart(client, photos[1])
    archive = _archive(client.get("/g/anna-ben/favourites/download/"))
    with default_storage.open(photos[1].display.name, "rb") as fh:
        assert archive.read(archive.namelist()[0]) == fh.read()


def test_without_downloads_it_is_forbidden_to_guests_but_not_to_the_owner(client, photos, gallery):
    owner = make_user(staff=True)
    Gallery.objects.filter(pk=gallery.pk).update(downloads=Gallery.Downloads.NONE, owner=owner)
    heart(client, photos[1])
    assert client.get("/g/anna-ben/favourites/download/").status_code == 403
    client.force_login(owner)  # the same device, now signed in: the same hearts
    assert _archive(client.get("/g/anna-ben/favourites/download/")).namelist() == ["DSC_0001.jpg"]
    assert not GalleryDownload.objects.exists()  # the owner is no guest


def test_without_hearts_it_sends_the_guest_to_make_some(client, photos):
    response = client.get("/g/anna-ben/favourites/download/", follow=True)
    assert response.redirect_chain == [("/g/anna-ben/favourites/", 302)]
    assert "You have no favourites here yet" in response.content.decode()


def test_a_private_gallery_needs_its_code_and_a_closed_one_is_closed(client, photos, gallery):
    heart(client, photos[0])
    Gallery.objects.filter(pk=gallery.pk).update(visibility="private", access_code="letmein")
    other_device = Client()
    response = other_device.get("/g/anna-ben/favourites/download/")
    assert response.status_code == 302 and response["Location"] == "/g/anna-ben/access/"
    Gallery.objects.filter(pk=gallery.pk).update(visibility="public", closes_at=timezone.now())
    assert client.get("/g/anna-ben/favourites/download/").status_code == 410


def test_a_photo_no_longer_ready_drops_out_of_it(client, photos, gallery):
    heart(client, photos[0])
    heart(client, photos[1])
    gallery.photos.filter(pk=photos[0].pk).update(status="processing")
    assert _archive(client.get("/g/anna-ben/favourites/download/")).namelist() == ["DSC_0001.jpg"]
