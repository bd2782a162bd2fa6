"""What each user gets from the guest pages, the file view, Find me, the probes and
single sign-on (galleries/access.py: drafts are not found by guests, private galleries
ask for their code, whoever manages a gallery sees all of it)."""

import io
import zipfile
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from eventgallery.tests.matrix import Check, Redirect, everyone, expect
from eventgallery.tests.two_organizers import FAVOURITE_GUEST
from faces.models import PhotoFaces
from favourites.models import Favourite, GuestName
from galleries.models import Photo
from galleries.tests.factories import unique_jpeg

TO_PRIVATE_ACCESS = Redirect("/g/{private.slug}/access/")


def managers(outcome=200, *, otherwise=404):
    """A gallery of the owner's that only those who manage it may know of (a draft)."""
    return expect(owner=outcome, other=otherwise, superuser=outcome, anonymous=otherwise, guest=otherwise)


def others_only(outcome=200, *, otherwise=404):
    """The other organizer's draft: the owner is a guest there."""
    return expect(owner=otherwise, other=outcome, superuser=outcome, anonymous=otherwise, guest=otherwise)


def behind_the_code(outcome=200, *, locked=TO_PRIVATE_ACCESS):
    """The private gallery: the other organizer is asked for its code like any guest."""
    return expect(owner=outcome, other=locked, superuser=outcome, anonymous=locked, guest=outcome)


def closed_to_guests(outcome=200, *, closed=410):
    """The closed gallery: those who manage it see all of it, everyone else is told it has closed."""
    return expect(owner=outcome, other=closed, superuser=outcome, anonymous=closed, guest=closed)


PRIVATE_PAGE = frozenset({"the private gallery's name", "the private photo's key"})
UNLISTED_PAGE = frozenset({"the unlisted gallery's name", "the unlisted photo's key"})
DRAFT_PAGE = frozenset({"the draft's name", "the draft photo's key"})
# A gallery's grid and a photo's page show a photo's file name too (the viewer's title).
PRIVATE_VIEWER = PRIVATE_PAGE | {"the private photo's name"}
UNLISTED_VIEWER = UNLISTED_PAGE | {"the unlisted photo's name"}
DRAFT_VIEWER = DRAFT_PAGE | {"the draft photo's name"}


def _selfie(world, user):
    return {"consent": "on", "selfie": SimpleUploadedFile("selfie.jpg", world.selfie, content_type="image/jpeg")}


def _not_me(results: str, photo: str):
    """The "Not me" form: these results, and the photo to leave out of them."""

    def data(world, user):
        return {"r": world.find_me_results[results], "photo": str(getattr(world, photo).key)}

    return data


def _nothing_indexed_again(world, user, response, data):
    assert PhotoFaces.objects.filter(photo=world.draft_photo, status=PhotoFaces.Status.INDEXED).exists()


def _hide_all(results):
    """The results page's "Hide all" button, for the results of `results`."""
    return lambda world, user: {"r": world.find_me_results[results], "all": "1"}


def _hidden_unless_refused(photo):
    """After: the photo is hidden from guests if the request went through (a redirect back)."""

    def after(world, user, response, data):
        hidden = Photo.objects.get(pk=getattr(world, photo).pk).hidden
        assert hidden == (response.status_code == 303), (photo, user, response.status_code)

    return after


def _the_ready_photos_only(*photos):
    """The ZIP, to those who get it, holds the named photos' originals and nothing else."""

    def after(world, user, response, data):
        if response.status_code != 200:
            return
        body = b"".join(response.streaming_content)
        assert int(response["Content-Length"]) == len(body)
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert sorted(archive.namelist()) == sorted(getattr(world, p).original_filename for p in photos)

    return after


def _hearted(photo):
    """After a heart: the photo is a favourite of this client's device if the answer let it
    in (a redirect back to the photo), and nothing was stored otherwise."""

    def after(world, user, response, data):
        stored = Favourite.objects.filter(photo=getattr(world, photo)).exclude(guest=FAVOURITE_GUEST).exists()
        let_in = response.status_code == 302 and "/access/" not in response["Location"]
        assert stored == let_in, f"{photo} hearted as {user}: {stored}"

    return after


def _a_guests_photo(world, user):
    return {
        "name": f"Guest {user}",
        "photos": SimpleUploadedFile(f"sent-by-{user}.jpg", unique_jpeg(), content_type="image/jpeg"),
    }


def _taken_from(*users, gallery="private"):
    """The photo was taken, into the gallery and waiting for approval, from these users only."""

    def after(world, user, response, data):
        sent = Photo.objects.filter(original_filename=f"sent-by-{user}.jpg")
        assert sent.exists() == (user in users)
        if sent.exists():
            photo = sent.get()
            assert (photo.gallery_id, photo.review, photo.guest_name) == (
                getattr(world, gallery).pk,
                Photo.Review.PENDING,
                f"Guest {user}",
            )

    return after


def _no_heart_stored(world, user, response, data):
    assert not Favourite.objects.exclude(guest=FAVOURITE_GUEST).exists()


def _named(world, user, response, data):
    stored = GuestName.objects.exclude(guest=FAVOURITE_GUEST).exists()
    assert stored == ("/access/" not in response.get("Location", "") and response.status_code == 302)


def _the_original_services_callback() -> dict:
    """The callback address of OIDC_REDIRECT_URI, when it is not ours (accounts/urls.py)."""
    path = urlsplit(settings.OIDC_REDIRECT_URI).path.strip("/")
    if not path or path == "oidc/callback":
        return {}
    return {f"{path}/": [Check("the original service's callback", f"/{path}/?code=x&state=y", everyone(404))]}


SITE = {
    "galleries:home": [
        Check("the home page lists the public gallery only", "/", everyone(200)),
    ],
    "galleries:detail": [
        Check("the public gallery", "/g/{public.slug}/", everyone(200)),
        Check("the unlisted gallery", "/g/{unlisted.slug}/", everyone(200), open_to_all=UNLISTED_VIEWER),
        Check("the private gallery", "/g/{private.slug}/", behind_the_code(), open_to_all=PRIVATE_VIEWER),
        Check(
            "the private gallery's next tiles",
            "/g/{private.slug}/?fragment=1&page=1",
            behind_the_code(),
            open_to_all=PRIVATE_VIEWER,  # the tiles' alt text names the gallery
        ),
        Check("the draft", "/g/{draft.slug}/", managers(), open_to_all=DRAFT_VIEWER),
        Check(
            "the draft's next tiles",
            "/g/{draft.slug}/?fragment=1&page=1",
            managers(),
            open_to_all=DRAFT_VIEWER,
        ),
        Check("the other organizer's draft", "/g/{others_draft.slug}/", others_only()),
        Check(
            "the closed gallery",
            "/g/{closed.slug}/",
            closed_to_guests(),
            shown_to_managers=frozenset({"the closed photo's key"}),
        ),
        Check(
            "the closed gallery's next tiles",
            "/g/{closed.slug}/?fragment=1&page=1",
            closed_to_guests(),
            shown_to_managers=frozenset({"the closed photo's key"}),
        ),
        Check("a gallery that does not exist", "/g/no-such-gallery/", everyone(404)),
    ],
    "galleries:access": [
        Check("the public gallery's code page", "/g/{public.slug}/access/", everyone(Redirect("/g/{public.slug}/"))),
        Check(
            "the private gallery's code page",
            "/g/{private.slug}/access/",
            behind_the_code(Redirect("/g/{private.slug}/"), locked=200),
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check(
            "a wrong code for the private gallery",
            "/g/{private.slug}/access/",
            behind_the_code(Redirect("/g/{private.slug}/"), locked=403),
            method="POST",
            data={"code": "not-the-code"},
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check("the draft's code page", "/g/{draft.slug}/access/", managers(Redirect("/g/{draft.slug}/"))),
        Check("a code for the draft", "/g/{draft.slug}/access/", managers(Redirect("/g/{draft.slug}/")), method="POST"),
        Check(
            "the closed gallery's code page",
            "/g/{closed.slug}/access/",
            closed_to_guests(Redirect("/g/{closed.slug}/")),
        ),
    ],
    # A ZIP streamed: the secrets check reads no body, the status says who may have it.
    "galleries:download": [
        Check(
            "all of the public gallery (not its pending or failed photo)",
            "/g/{public.slug}/download/",
            everyone(200),
            after=_the_ready_photos_only("public_photo"),
        ),
        Check(
            "all of the unlisted gallery",
            "/g/{unlisted.slug}/download/",
            everyone(200),
            after=_the_ready_photos_only("unlisted_photo"),
        ),
        Check(
            "all of the private gallery",
            "/g/{private.slug}/download/",
            behind_the_code(),
            after=_the_ready_photos_only("private_photo"),
        ),
        Check("all of the draft", "/g/{draft.slug}/download/", managers(), after=_the_ready_photos_only("draft_photo")),
        Check("all of the closed gallery", "/g/{closed.slug}/download/", closed_to_guests()),
        Check(
            "all of the other organizer's draft",
            "/g/{others_draft.slug}/download/",
            others_only(),
            after=_the_ready_photos_only("others_photo"),
        ),
        Check("all of a gallery that does not exist", "/g/no-such-gallery/download/", everyone(404)),
        # The sizes (galleries/download_sizes.py): the public gallery gives guests the originals.
        Check("all of the public gallery at web size", "/g/{public.slug}/download/?size=web", everyone(200)),
        Check("all of the private gallery at large size", "/g/{private.slug}/download/?size=large", behind_the_code()),
        Check("all of the draft at original size", "/g/{draft.slug}/download/?size=original", managers()),
        Check("all of the public gallery at no such size", "/g/{public.slug}/download/?size=huge", everyone(400)),
    ],
    # The link preview image: as the cover's file, so a private gallery's is not found without its code.
    "galleries:preview_image": [
        Check("the public gallery's link preview image", "/g/{public.slug}/preview.jpg", everyone(200)),
        Check("the unlisted gallery's link preview image", "/g/{unlisted.slug}/preview.jpg", everyone(200)),
        Check("the private gallery's link preview image", "/g/{private.slug}/preview.jpg", behind_the_code(locked=404)),
        Check("the draft's link preview image", "/g/{draft.slug}/preview.jpg", managers()),
        Check("the closed gallery's link preview image", "/g/{closed.slug}/preview.jpg", closed_to_guests()),
        Check("the other organizer's draft's link preview image", "/g/{others_draft.slug}/preview.jpg", others_only()),
        Check(
            "the link preview image of a gallery that does not exist", "/g/no-such-gallery/preview.jpg", everyone(404)
        ),
    ],
    # The phone hero (galleries/hero.py): as the cover's file, like the link preview image.
    "galleries:phone_hero": [
        Check("the public gallery's phone hero", "/g/{public.slug}/hero.jpg", everyone(200)),
        Check("the unlisted gallery's phone hero", "/g/{unlisted.slug}/hero.jpg", everyone(200)),
        Check("the private gallery's phone hero", "/g/{private.slug}/hero.jpg", behind_the_code(locked=404)),
        Check("the draft's phone hero", "/g/{draft.slug}/hero.jpg", managers()),
        Check("the closed gallery's phone hero", "/g/{closed.slug}/hero.jpg", closed_to_guests()),
        Check("the other organizer's draft's phone hero", "/g/{others_draft.slug}/hero.jpg", others_only()),
        Check("the phone hero of a gallery that does not exist", "/g/no-such-gallery/hero.jpg", everyone(404)),
    ],
    # Guests' uploads: let in as the gallery page; only the private gallery takes them (with approval).
    "galleries:upload": [
        Check(
            "the private gallery's upload page",
            "/g/{private.slug}/upload/",
            behind_the_code(),
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check(
            "a photo sent to the private gallery",
            "/g/{private.slug}/upload/",
            behind_the_code(Redirect("/g/{private.slug}/upload/")),
            method="POST",
            data=_a_guests_photo,
            after=_taken_from("owner", "superuser", "guest"),
        ),
        Check("the public gallery's upload page (it takes none)", "/g/{public.slug}/upload/", everyone(403)),
        Check(
            "a photo sent to the public gallery",
            "/g/{public.slug}/upload/",
            everyone(403),
            method="POST",
            data=_a_guests_photo,
            after=_taken_from(),
        ),
        Check("the draft's upload page", "/g/{draft.slug}/upload/", managers(403)),
        Check(
            "a photo sent to the draft",
            "/g/{draft.slug}/upload/",
            managers(403),
            method="POST",
            data=_a_guests_photo,
            after=_taken_from(),
        ),
        Check("the other organizer's draft's upload page", "/g/{others_draft.slug}/upload/", others_only(403)),
        Check("the closed gallery's upload page", "/g/{closed.slug}/upload/", closed_to_guests(403)),
        Check("the upload page of a gallery that does not exist", "/g/no-such-gallery/upload/", everyone(404)),
    ],
    # The live slideshow: let in as the gallery page; its JSON says 403 where the page asks for the code.
    "galleries:slideshow": [
        Check("the public gallery's slideshow", "/g/{public.slug}/slideshow/", everyone(200)),
        Check(
            "the unlisted gallery's slideshow",
            "/g/{unlisted.slug}/slideshow/",
            everyone(200),
            open_to_all=UNLISTED_PAGE | {"the unlisted gallery's slug"},
        ),
        Check(
            "the private gallery's slideshow",
            "/g/{private.slug}/slideshow/",
            behind_the_code(),
            open_to_all=PRIVATE_PAGE | {"the private gallery's slug"},
        ),
        Check(
            "the draft's slideshow",
            "/g/{draft.slug}/slideshow/",
            managers(),
            open_to_all=DRAFT_PAGE | {"the draft's slug"},
        ),
        Check("the other organizer's draft's slideshow", "/g/{others_draft.slug}/slideshow/", others_only()),
        Check(
            "the closed gallery's slideshow",
            "/g/{closed.slug}/slideshow/",
            closed_to_guests(),
            shown_to_managers=frozenset({"the closed photo's key"}),
        ),
        Check("the slideshow of a gallery that does not exist", "/g/no-such-gallery/slideshow/", everyone(404)),
    ],
    "galleries:slideshow_photos": [
        Check("the public gallery's slides", "/g/{public.slug}/slideshow/photos", everyone(200)),
        Check("the public gallery's slides after a cursor", "/g/{public.slug}/slideshow/photos?after=0", everyone(200)),
        Check(
            "the unlisted gallery's slides",
            "/g/{unlisted.slug}/slideshow/photos",
            everyone(200),
            open_to_all=UNLISTED_PAGE,
        ),
        Check(
            "the private gallery's slides",
            "/g/{private.slug}/slideshow/photos",
            behind_the_code(locked=403),
            open_to_all=PRIVATE_PAGE,
        ),
        Check(
            "the draft's slides",
            "/g/{draft.slug}/slideshow/photos",
            managers(),
            open_to_all=DRAFT_PAGE,
        ),
        Check("the other organizer's draft's slides", "/g/{others_draft.slug}/slideshow/photos", others_only()),
        Check(
            "the closed gallery's slides",
            "/g/{closed.slug}/slideshow/photos?after=0",
            closed_to_guests(),
            shown_to_managers=frozenset({"the closed photo's key"}),
        ),
        Check("the slides of a gallery that does not exist", "/g/no-such-gallery/slideshow/photos", everyone(404)),
    ],
    "galleries:photo": [
        Check("a ready photo of the public gallery", "/g/{public.slug}/p/{public_photo.key}/", everyone(200)),
        Check("the photo still pending", "/g/{public.slug}/p/{pending_photo.key}/", everyone(404)),
        Check("the photo that failed", "/g/{public.slug}/p/{failed_photo.key}/", everyone(404)),
        Check(
            "a photo of the unlisted gallery",
            "/g/{unlisted.slug}/p/{unlisted_photo.key}/",
            everyone(200),
            open_to_all=UNLISTED_VIEWER,
        ),
        Check(
            "a photo of the private gallery",
            "/g/{private.slug}/p/{private_photo.key}/",
            behind_the_code(),
            open_to_all=PRIVATE_VIEWER,
        ),
        Check("a photo of the draft", "/g/{draft.slug}/p/{draft_photo.key}/", managers(), open_to_all=DRAFT_VIEWER),
        Check(
            "a photo of the private gallery at the public gallery's address",
            "/g/{public.slug}/p/{private_photo.key}/",
            everyone(404),
        ),
        Check(
            "a photo of the draft at the public gallery's address",
            "/g/{public.slug}/p/{draft_photo.key}/",
            everyone(404),
        ),
        Check(
            "a photo of the other organizer's draft",
            "/g/{others_draft.slug}/p/{others_photo.key}/",
            others_only(),
        ),
        Check(
            "a photo of the closed gallery",
            "/g/{closed.slug}/p/{closed_photo.key}/",
            closed_to_guests(),
        ),
    ],
    "galleries:photo_file": [
        Check("the public photo's thumbnail", "/photos/{public_photo.key}/thumb", everyone(200)),
        Check(
            "the public photo's original, to download", "/photos/{public_photo.key}/original?download=1", everyone(200)
        ),
        Check("the unlisted photo's display size", "/photos/{unlisted_photo.key}/display", everyone(200)),
        Check("the public photo's middle size", "/photos/{public_photo.key}/middle", everyone(200)),
        Check("the private photo's middle size", "/photos/{private_photo.key}/middle", behind_the_code(locked=404)),
        Check("the draft photo's middle size", "/photos/{draft_photo.key}/middle", managers()),
        Check("the private photo's original", "/photos/{private_photo.key}/original", behind_the_code(locked=404)),
        Check("the private photo's thumbnail", "/photos/{private_photo.key}/thumb", behind_the_code(locked=404)),
        Check("the draft photo's thumbnail", "/photos/{draft_photo.key}/thumb", managers()),
        Check("the draft photo's original", "/photos/{draft_photo.key}/original", managers()),
        Check("the pending photo's original", "/photos/{pending_photo.key}/original", managers()),
        Check("the pending photo's thumbnail (none yet)", "/photos/{pending_photo.key}/thumb", everyone(404)),
        Check("the failed photo's original", "/photos/{failed_photo.key}/original", managers()),
        # A guest's photo waiting for approval: its organizer reviews it, guests never see it.
        Check("the guest photo's thumbnail", "/photos/{guest_photo.key}/thumb", managers()),
        Check("the guest photo's original", "/photos/{guest_photo.key}/original?download=1", managers()),
        Check("the other organizer's photo", "/photos/{others_photo.key}/display", others_only()),
        Check("a kind of file that does not exist", "/photos/{public_photo.key}/secret", everyone(404)),
        Check(
            "the closed gallery's photo",
            "/photos/{closed_photo.key}/display",
            closed_to_guests(),
        ),
        Check(
            "the closed gallery's original, to download",
            "/photos/{closed_photo.key}/original?download=1",
            closed_to_guests(),
        ),
    ],
    "favourites:state": [
        Check("the public gallery's hearts of this device", "/g/{public.slug}/favourites/state", everyone(200)),
        Check("the private gallery's hearts", "/g/{private.slug}/favourites/state", behind_the_code()),
        Check("the draft's hearts", "/g/{draft.slug}/favourites/state", managers()),
        Check("the closed gallery's hearts", "/g/{closed.slug}/favourites/state", closed_to_guests()),
        Check("the other organizer's draft's hearts", "/g/{others_draft.slug}/favourites/state", others_only()),
    ],
    "favourites:set": [
        Check(
            "a heart on a photo of the public gallery",
            "/g/{public.slug}/favourites/{public_photo.key}/",
            everyone(Redirect("/g/{public.slug}/p/{public_photo.key}/#favourite", exact=True)),
            method="POST",
            data={"favourite": "1"},
            after=_hearted("public_photo"),
        ),
        Check(
            "a heart on a photo of the private gallery",
            "/g/{private.slug}/favourites/{private_photo.key}/",
            behind_the_code(Redirect("/g/{private.slug}/p/{private_photo.key}/#favourite")),
            method="POST",
            data={"favourite": "1"},
            after=_hearted("private_photo"),
        ),
        Check(
            "a heart on a photo of the draft",
            "/g/{draft.slug}/favourites/{draft_photo.key}/",
            managers(Redirect("/g/{draft.slug}/p/{draft_photo.key}/#favourite")),
            method="POST",
            data={"favourite": "1"},
            after=_hearted("draft_photo"),
        ),
        Check(
            "a heart on a photo of the closed gallery",
            "/g/{closed.slug}/favourites/{closed_photo.key}/",
            closed_to_guests(Redirect("/g/{closed.slug}/p/{closed_photo.key}/#favourite")),
            method="POST",
            data={"favourite": "1"},
            after=_hearted("closed_photo"),
        ),
        Check(
            "a heart on the photo still pending",
            "/g/{public.slug}/favourites/{pending_photo.key}/",
            everyone(404),
            method="POST",
            data={"favourite": "1"},
            after=_no_heart_stored,
        ),
        Check(
            "a heart on the private gallery's photo, sent through the public gallery",
            "/g/{public.slug}/favourites/{private_photo.key}/",
            everyone(404),
            method="POST",
            data={"favourite": "1"},
            after=_no_heart_stored,
        ),
        Check(
            "a heart without saying on or off",
            "/g/{public.slug}/favourites/{public_photo.key}/",
            everyone(400),
            method="POST",
            data={"favourite": "maybe"},
            after=_no_heart_stored,
        ),
        Check("a heart asked for with GET", "/g/{public.slug}/favourites/{public_photo.key}/", everyone(405)),
    ],
    "favourites:list": [
        Check("My favourites in the public gallery", "/g/{public.slug}/favourites/", everyone(200)),
        Check(
            "My favourites in the private gallery",
            "/g/{private.slug}/favourites/",
            behind_the_code(),
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check(
            "My favourites in the draft",
            "/g/{draft.slug}/favourites/",
            managers(),
            open_to_all=frozenset({"the draft's name"}),
        ),
        Check("My favourites in the closed gallery", "/g/{closed.slug}/favourites/", closed_to_guests()),
    ],
    # Without hearts of this device, the ZIP sends the guest to My favourites to make some.
    "favourites:download": [
        Check(
            "My favourites' ZIP, with none",
            "/g/{public.slug}/favourites/download/",
            everyone(Redirect("/g/{public.slug}/favourites/", exact=True)),
        ),
        Check(
            "My favourites' ZIP in the private gallery",
            "/g/{private.slug}/favourites/download/",
            behind_the_code(Redirect("/g/{private.slug}/favourites/")),
        ),
        Check(
            "My favourites' ZIP in the draft",
            "/g/{draft.slug}/favourites/download/",
            managers(Redirect("/g/{draft.slug}/favourites/")),
        ),
        Check(
            "My favourites' ZIP in the closed gallery",
            "/g/{closed.slug}/favourites/download/",
            closed_to_guests(Redirect("/g/{closed.slug}/favourites/")),
        ),
    ],
    "favourites:name": [
        Check(
            "a guest's name in the public gallery",
            "/g/{public.slug}/favourites/name/",
            everyone(Redirect("/g/{public.slug}/favourites/", exact=True)),
            method="POST",
            data={"name": "Ada"},
            after=_named,
        ),
        Check(
            "a guest's name in the private gallery",
            "/g/{private.slug}/favourites/name/",
            behind_the_code(Redirect("/g/{private.slug}/favourites/")),
            method="POST",
            data={"name": "Ada"},
            after=_named,
        ),
        Check(
            "a guest's name in the draft",
            "/g/{draft.slug}/favourites/name/",
            managers(Redirect("/g/{draft.slug}/favourites/")),
            method="POST",
            data={"name": "Ada"},
            after=_named,
        ),
        Check("a guest's name asked for with GET", "/g/{public.slug}/favourites/name/", everyone(405)),
    ],
    "faces:find_me": [
        Check("Find me in the public gallery", "/g/{public.slug}/find-me/", everyone(200)),
        Check(
            "Find me in the private gallery",
            "/g/{private.slug}/find-me/",
            behind_the_code(),
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check(
            "Find me in the draft", "/g/{draft.slug}/find-me/", managers(), open_to_all=frozenset({"the draft's name"})
        ),
        Check("Find me in a gallery without it", "/g/{no_find_me.slug}/find-me/", everyone(404)),
        # Switched off when it closed: those who manage it are told that it is off.
        Check("Find me in the closed gallery", "/g/{closed.slug}/find-me/", closed_to_guests(404)),
        Check(
            "a selfie searched in the closed gallery",
            "/g/{closed.slug}/find-me/",
            closed_to_guests(404),
            method="POST",
            data=_selfie,
        ),
        Check(
            "a selfie searched in the draft",
            "/g/{draft.slug}/find-me/",
            managers(Redirect("/g/{draft.slug}/find-me/results/?r=")),
            method="POST",
            data=_selfie,
            open_to_all=DRAFT_PAGE,
            after=_nothing_indexed_again,
        ),
        Check(
            "a selfie searched in the private gallery",
            "/g/{private.slug}/find-me/",
            behind_the_code(Redirect("/g/{private.slug}/find-me/results/?r=")),
            method="POST",
            data=_selfie,
            open_to_all=PRIVATE_PAGE,
        ),
        Check(
            "a selfie searched in the other organizer's draft",
            "/g/{others_draft.slug}/find-me/",
            others_only(404),  # Find me is off there: the page says so to those who may know it
            method="POST",
            data=_selfie,
        ),
    ],
    "faces:find_me_results": [
        Check(
            "Find me's results in the public gallery",
            "/g/{public.slug}/find-me/results/?r={find_me_results[public]}",
            everyone(200),
        ),
        Check(
            "Find me's results in the private gallery",
            "/g/{private.slug}/find-me/results/?r={find_me_results[private]}",
            behind_the_code(),
            open_to_all=PRIVATE_PAGE,
        ),
        Check(
            "Find me's results in the draft",
            "/g/{draft.slug}/find-me/results/?r={find_me_results[draft]}",
            managers(),
            open_to_all=DRAFT_PAGE,
        ),
        Check(
            "Find me's results in the other organizer's draft (Find me is off there)",
            "/g/{others_draft.slug}/find-me/results/?r={find_me_results[others_draft]}",
            everyone(404),
        ),
        Check(
            "Find me's results in the closed gallery (Find me went off when it closed)",
            "/g/{closed.slug}/find-me/results/?r={find_me_results[public]}",
            closed_to_guests(404),
        ),
        Check(
            "the draft's results shown in the public gallery",
            "/g/{public.slug}/find-me/results/?r={find_me_results[draft]}",
            everyone(400),  # the draft's photo stays unseen, to its owner too
        ),
        Check(
            "Find me's results with a forged link",
            "/g/{public.slug}/find-me/results/?r=forged",
            everyone(400),
        ),
        Check(
            "Find me's results, posted to",
            "/g/{public.slug}/find-me/results/?r={find_me_results[public]}",
            everyone(405),
            method="POST",
            data={},
        ),
    ],
    # "That's not me": the same results without a photo, re-signed; every check of the results page, made again.
    "faces:find_me_results_not_me": [
        Check(
            "a photo of the public gallery's results that is not me",
            "/g/{public.slug}/find-me/results/not-me/",
            everyone(Redirect("/g/{public.slug}/find-me/results/?r=")),
            method="POST",
            data=_not_me("public", "public_photo"),
        ),
        Check(
            "a photo of the private gallery's results that is not me",
            "/g/{private.slug}/find-me/results/not-me/",
            behind_the_code(Redirect("/g/{private.slug}/find-me/results/?r=")),
            method="POST",
            data=_not_me("private", "private_photo"),
            open_to_all=PRIVATE_PAGE,
        ),
        Check(
            "a photo of the draft's results that is not me",
            "/g/{draft.slug}/find-me/results/not-me/",
            managers(Redirect("/g/{draft.slug}/find-me/results/?r=")),
            method="POST",
            data=_not_me("draft", "draft_photo"),
            open_to_all=DRAFT_PAGE,
        ),
        Check(
            "a photo of the closed gallery's results that is not me (Find me went off when it closed)",
            "/g/{closed.slug}/find-me/results/not-me/",
            closed_to_guests(404),
            method="POST",
            data=_not_me("public", "public_photo"),
        ),
        Check(
            "the draft's photo left out of the public gallery's results",
            "/g/{public.slug}/find-me/results/not-me/",
            everyone(400),
            method="POST",
            data=_not_me("draft", "draft_photo"),
        ),
        Check("not me, asked for with a GET", "/g/{public.slug}/find-me/results/not-me/", everyone(405)),
    ],
    # The results' photos in a ZIP: every check of the results page, made again.
    "faces:find_me_results_download": [
        Check(
            "the photos Find me found in the public gallery",
            "/g/{public.slug}/find-me/results/download/?r={find_me_results[public]}",
            everyone(200),
            after=_the_ready_photos_only("public_photo"),
        ),
        Check(
            "the photos Find me found in the public gallery, at web size",
            "/g/{public.slug}/find-me/results/download/?r={find_me_results[public]}&size=web",
            everyone(200),
        ),
        Check(
            "the photos Find me found in the private gallery",
            "/g/{private.slug}/find-me/results/download/?r={find_me_results[private]}",
            behind_the_code(),
            after=_the_ready_photos_only("private_photo"),
        ),
        Check(
            "the photos Find me found in the draft",
            "/g/{draft.slug}/find-me/results/download/?r={find_me_results[draft]}",
            managers(),
            after=_the_ready_photos_only("draft_photo"),
        ),
        Check(
            "the photos Find me found in the other organizer's draft (Find me is off there)",
            "/g/{others_draft.slug}/find-me/results/download/?r={find_me_results[others_draft]}",
            everyone(404),
        ),
        Check(
            "the photos Find me found in the closed gallery (Find me went off when it closed)",
            "/g/{closed.slug}/find-me/results/download/?r={find_me_results[public]}",
            closed_to_guests(404),
        ),
        Check(
            "the draft's results downloaded from the public gallery",
            "/g/{public.slug}/find-me/results/download/?r={find_me_results[draft]}",
            everyone(400),  # the draft's photo stays unseen, to its owner too
        ),
        Check(
            "the photos of a forged results link",
            "/g/{public.slug}/find-me/results/download/?r=forged",
            everyone(400),
        ),
        Check(
            "the photos Find me found, posted to",
            "/g/{public.slug}/find-me/results/download/?r={find_me_results[public]}",
            everyone(405),
            method="POST",
            data={},
        ),
    ],
    # "Hide photos of me": every check of the results page, then the request.
    "faces:find_me_hide": [
        Check(
            "the public gallery's photos of the results hidden",
            "/g/{public.slug}/find-me/hide/",
            everyone(Redirect("/g/{public.slug}/find-me/results/?r=")),
            method="POST",
            data=_hide_all("public"),
            after=_hidden_unless_refused("public_photo"),
        ),
        Check(
            "the private gallery's photos of the results hidden",
            "/g/{private.slug}/find-me/hide/",
            behind_the_code(Redirect("/g/{private.slug}/find-me/results/?r=")),
            method="POST",
            data=_hide_all("private"),
            after=_hidden_unless_refused("private_photo"),
        ),
        Check(
            "the draft's photos of the results hidden",
            "/g/{draft.slug}/find-me/hide/",
            managers(Redirect("/g/{draft.slug}/find-me/results/?r=")),
            method="POST",
            data=_hide_all("draft"),
            after=_hidden_unless_refused("draft_photo"),
        ),
        Check(
            "the closed gallery's photos hidden (Find me went off when it closed)",
            "/g/{closed.slug}/find-me/hide/",
            closed_to_guests(404),
            method="POST",
            data=_hide_all("public"),
        ),
        Check(
            "the draft's results hidden from the public gallery",
            "/g/{public.slug}/find-me/hide/",
            everyone(400),
            method="POST",
            data=_hide_all("draft"),
            after=_hidden_unless_refused("draft_photo"),
        ),
        Check(
            "photos hidden with a forged results link",
            "/g/{public.slug}/find-me/hide/",
            everyone(400),
            method="POST",
            data={"r": "forged", "all": "1"},
        ),
        Check("the hide form, asked for with GET", "/g/{public.slug}/find-me/hide/", everyone(405)),
    ],
    # The privacy page of a gallery with Find me, open to whoever may see the gallery.
    # Find me's indexing progress (JSON), behind the same gate as Find me itself.
    "faces:find_me_progress": [
        Check("the public gallery's Find me progress", "/g/{public.slug}/find-me/progress/", everyone(200)),
        Check(
            "the private gallery's Find me progress",
            "/g/{private.slug}/find-me/progress/",
            behind_the_code(),
        ),
        Check(
            "the draft's Find me progress",
            "/g/{draft.slug}/find-me/progress/",
            managers(),
        ),
        Check("the Find me progress of a gallery without it", "/g/{no_find_me.slug}/find-me/progress/", everyone(404)),
        Check("the closed gallery's Find me progress", "/g/{closed.slug}/find-me/progress/", closed_to_guests(404)),
    ],
    "faces:privacy": [
        Check("the public gallery's privacy page", "/g/{public.slug}/privacy/", everyone(200)),
        Check(
            "the private gallery's privacy page",
            "/g/{private.slug}/privacy/",
            behind_the_code(),
            open_to_all=frozenset({"the private gallery's name"}),
        ),
        Check(
            "the draft's privacy page",
            "/g/{draft.slug}/privacy/",
            managers(),
            open_to_all=frozenset({"the draft's name"}),
        ),
        Check("the privacy page of a gallery without Find me", "/g/{no_find_me.slug}/privacy/", everyone(404)),
        Check("the closed gallery's privacy page", "/g/{closed.slug}/privacy/", closed_to_guests(404)),
    ],
    # The language switcher (eventgallery/languages.py): anyone may choose, and is sent back.
    "set_language": [
        Check(
            "choosing German",
            "/i18n/setlang/",
            everyone(Redirect("/g/{public.slug}/", exact=True)),
            method="POST",
            data=lambda world, user: {"language": "de", "next": f"/g/{world.public.slug}/"},
        ),
    ],
    "ops:healthz": [Check("the liveness probe", "/healthz", everyone(200))],
    # No worker runs beside the tests, so the probe says not ready, to everyone alike.
    "ops:readyz": [Check("the readiness probe", "/readyz", everyone(503))],
    # Open only to a token or an allowed address (METRICS_TOKEN / METRICS_ALLOWED_IPS), none set here.
    "ops:metrics": [Check("the metrics", "/metrics", everyone(404))],
    # Single sign-on is off in the matrix (test_every_route.py): its pages do not exist.
    "oidc_authentication_init": [Check("signing in with the provider", "/oidc/authenticate/", everyone(404))],
    "oidc_authentication_callback": [
        Check("the provider's callback", "/oidc/callback/?code=x&state=y", everyone(404)),
    ],
    **_the_original_services_callback(),
}
