"""What each caller gets from the JSON API under /api/: without a key (anonymous, and the
guest, whose session is no key), and with the owner's, the other organizer's and a
superuser's key. A key reaches its organizer's galleries only; anything else not
listed is not found, never forbidden."""

import base64

from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import ApiKey, PendingUpload
from eventgallery.tests.matrix import Check, api, everyone, manages
from faces.tests import face_images
from faces.tests.find_me import jpeg
from galleries.models import Gallery, Photo
from galleries.tests.factories import unique_jpeg

NO_KEY = 401


def _only_managers(outcome=200):
    return api(no_key=404, owner=outcome, other=404, superuser=outcome)


def _closed_to_guests(outcome=200):
    """The closed gallery: gone (410) to every caller who does not manage it."""
    return api(no_key=410, owner=outcome, other=410, superuser=outcome)


def _owner_of_the_new_gallery_is_the_caller(world, user, response, data):
    created = Gallery.objects.filter(name=data["name"])
    if user in world.keys:
        assert created.get().owner == world.user(user)
        assert created.get().slug != world.draft.slug
    else:
        assert not created.exists()
    world.draft.refresh_from_db()
    assert world.draft.name == "Secret Draft Oleander"


def _gallery_deleted_by_managers_only(attribute):
    def after(world, user, response, data):
        exists = Gallery.objects.filter(pk=getattr(world, attribute).pk).exists()
        assert exists != manages(user), f"the {attribute} gallery exists: {exists}"

    return after


def _photo_deleted_by_managers_only(attribute):
    def after(world, user, response, data):
        exists = Photo.objects.filter(pk=getattr(world, attribute).pk).exists()
        assert exists != manages(user), f"{attribute} exists: {exists}"

    return after


def _pending_upload_deleted_by_managers_only(world, user, response, data):
    exists = PendingUpload.objects.filter(pk=world.pending_upload.pk).exists()
    assert exists != manages(user)


def _attached_by_the_owner_only(world, user, response, data):
    attached = world.public.photos.filter(original_filename=world.pending_upload.original_filename)
    assert attached.exists() == (user == "owner")
    assert PendingUpload.objects.filter(pk=world.pending_upload.pk).exists() == (user != "owner")


def _nothing_attached_to(attribute):
    def after(world, user, response, data):
        gallery = getattr(world, attribute)
        assert not gallery.photos.filter(
            original_filename__in=[
                world.pending_upload.original_filename,
                world.others_pending_upload.original_filename,
            ]
        ).exists()
        assert (
            PendingUpload.objects.filter(pk__in=[world.pending_upload.pk, world.others_pending_upload.pk]).count() == 2
        )

    return after


def _upload_belongs_to_the_caller(world, user, response, data):
    made = PendingUpload.objects.filter(original_filename="made-through-the-api.jpg")
    if user in world.keys:
        assert made.get().owner == world.user(user)
    else:
        assert not made.exists()


def _an_upload(world, user):
    return {"file": SimpleUploadedFile("made-through-the-api.jpg", unique_jpeg(), content_type="image/jpeg")}


def _selfie(world, user):
    return {"consent": "true", "selfie": SimpleUploadedFile("selfie.jpg", world.selfie, content_type="image/jpeg")}


def _face_b64() -> str:
    return base64.b64encode(jpeg(face_images.tom_hanks())).decode()


def _key_still_works(world, user, response, data):
    assert ApiKey.objects.get(pk=world.owner_key.pk).revoked_at is None


API = {
    "api:api-root": [Check("the API's root", "/api/", everyone(404))],
    "api:openapi-json": [Check("the OpenAPI schema", "/api/openapi.json", everyone(200))],
    "api:openapi-view": [Check("the API's docs", "/api/docs", everyone(200))],
    "api:gallery_list": [
        Check(
            "the galleries",
            "/api/gallery/",
            everyone(200),
            shown_to_managers=frozenset(
                {
                    "the draft's name",
                    "the unlisted gallery's slug",
                    "the private gallery's slug",
                    "the other's draft name",
                    "the closed gallery's slug",
                }
            ),
        ),
    ],
    "api:gallery_create": [
        Check(
            "a gallery at the draft's address",
            "/api/gallery/",
            api(no_key=NO_KEY, owner=201, other=201, superuser=201),
            method="POST",
            data=lambda world, user: {"name": f"Made through the API by {user}", "slug": world.draft.slug},
            as_json=True,
            after=_owner_of_the_new_gallery_is_the_caller,
        ),
        Check(
            "a gallery for someone else",
            "/api/gallery/",
            api(no_key=NO_KEY, owner=422, other=422, superuser=422),
            method="POST",
            data=lambda world, user: {"name": "Given away", "owner": world.owner.pk},
            as_json=True,
        ),
    ],
    "api:gallery_detail": [
        Check("the public gallery", "/api/gallery/{public.pk}", everyone(200)),
        Check(
            "the unlisted gallery",
            "/api/gallery/{unlisted.pk}",
            _only_managers(),
            shown_to_managers=frozenset({"the unlisted gallery's slug"}),
        ),
        Check(
            "the private gallery",
            "/api/gallery/{private.pk}",
            _only_managers(),
            shown_to_managers=frozenset({"the private gallery's slug"}),
        ),
        Check(
            "the draft", "/api/gallery/{draft.pk}", _only_managers(), shown_to_managers=frozenset({"the draft's name"})
        ),
        Check(
            "the other organizer's draft",
            "/api/gallery/{others_draft.pk}",
            api(no_key=404, owner=404, other=200, superuser=200),
        ),
        Check(
            "the closed gallery",
            "/api/gallery/{closed.pk}",
            _closed_to_guests(),
            shown_to_managers=frozenset({"the closed gallery's slug"}),
        ),
    ],
    "api:gallery_delete": [
        Check(
            "deleting the draft",
            "/api/gallery/{draft.pk}",
            api(no_key=NO_KEY, owner=204, other=404, superuser=204),
            method="DELETE",
            after=_gallery_deleted_by_managers_only("draft"),
        ),
        Check(
            "deleting the public gallery",
            "/api/gallery/{public.pk}",
            api(no_key=NO_KEY, owner=204, other=403, superuser=204),
            method="DELETE",
            after=_gallery_deleted_by_managers_only("public"),
        ),
    ],
    "api:photo_list": [
        Check(
            "the public gallery's photos",
            "/api/gallery/{public.pk}/photos",
            everyone(200),
            shown_to_managers=frozenset({"the pending photo's key", "the failed photo's key"}),
        ),
        Check(
            "the unlisted gallery's photos",
            "/api/gallery/{unlisted.pk}/photos",
            _only_managers(),
            shown_to_managers=frozenset({"the unlisted photo's key"}),
        ),
        Check(
            "the private gallery's photos",
            "/api/gallery/{private.pk}/photos",
            _only_managers(),
            shown_to_managers=frozenset({"the private photo's key"}),
        ),
        Check(
            "the draft's photos",
            "/api/gallery/{draft.pk}/photos?page_size=100",
            _only_managers(),
            shown_to_managers=frozenset({"the draft photo's key"}),
        ),
        Check(
            "the closed gallery's photos",
            "/api/gallery/{closed.pk}/photos",
            _closed_to_guests(),
            shown_to_managers=frozenset({"the closed photo's key"}),
        ),
    ],
    "api:photo_attach": [
        Check(
            "the owner's upload attached to the public gallery",
            "/api/gallery/{public.pk}/photos",
            # A superuser's key attaches its own uploads only.
            api(no_key=NO_KEY, owner=201, other=403, superuser=404),
            method="POST",
            data=lambda world, user: {"filename": str(world.pending_upload.key)},
            as_json=True,
            after=_attached_by_the_owner_only,
        ),
        Check(
            "the owner's upload attached to the other organizer's draft",
            "/api/gallery/{others_draft.pk}/photos",
            api(no_key=NO_KEY, owner=404, other=404, superuser=404),
            method="POST",
            data=lambda world, user: {"filename": str(world.pending_upload.key)},
            as_json=True,
            after=_nothing_attached_to("others_draft"),
        ),
        Check(
            "the other organizer's upload attached to the draft",
            "/api/gallery/{draft.pk}/photos",
            api(no_key=NO_KEY, owner=404, other=404, superuser=404),
            method="POST",
            data=lambda world, user: {"filename": str(world.others_pending_upload.key)},
            as_json=True,
            after=_nothing_attached_to("draft"),
        ),
    ],
    "api:find_me": [
        Check(
            "a selfie searched in the draft",
            "/api/gallery/{draft.pk}/find-me",
            _only_managers(),
            method="POST",
            data=_selfie,
            open_to_all=frozenset({"the draft photo's key"}),
        ),
        Check(
            "a selfie searched in the private gallery",
            "/api/gallery/{private.pk}/find-me",
            _only_managers(),
            method="POST",
            data=_selfie,
            open_to_all=frozenset({"the private photo's key"}),
        ),
        Check(
            "a selfie searched in the public gallery",
            "/api/gallery/{public.pk}/find-me",
            everyone(200),
            method="POST",
            data=_selfie,
        ),
        Check(
            "a selfie searched in the closed gallery (Find me is off there)",
            "/api/gallery/{closed.pk}/find-me",
            _closed_to_guests(404),
            method="POST",
            data=_selfie,
        ),
    ],
    "api:image_upload": [
        Check(
            "an upload",
            "/api/image/upload",
            api(no_key=NO_KEY, owner=201, other=201, superuser=201),
            method="POST",
            data=_an_upload,
            after=_upload_belongs_to_the_caller,
        ),
    ],
    "api:image_delete": [
        Check(
            "deleting the draft's photo",
            "/api/image/{draft_photo.key}",
            api(no_key=NO_KEY, owner=204, other=404, superuser=204),
            method="DELETE",
            after=_photo_deleted_by_managers_only("draft_photo"),
        ),
        Check(
            "deleting the public gallery's photo",
            "/api/image/{public_photo.key}",
            api(no_key=NO_KEY, owner=204, other=404, superuser=204),
            method="DELETE",
            after=_photo_deleted_by_managers_only("public_photo"),
        ),
        Check(
            "deleting the owner's pending upload",
            "/api/image/{pending_upload.key}",
            api(no_key=NO_KEY, owner=204, other=404, superuser=204),
            method="DELETE",
            after=_pending_upload_deleted_by_managers_only,
        ),
    ],
    "api:stored_file": [
        # A signed address that expires, given only to the upload's organizer: whoever holds it has the file.
        Check("the pending upload's signed address", "/api/files/{pending_upload_token}", everyone(200)),
        Check("a forged address", "/api/files/uploads-owner-original.jpg", everyone(404)),
    ],
    "api:compare": [
        Check(
            "comparing two faces",
            "/api/rekognition/compare",
            api(no_key=NO_KEY, owner=200, other=200, superuser=200),
            method="POST",
            data=lambda world, user: {"source_image": _face_b64(), "target_image": _face_b64()},
            as_json=True,
            after=_key_still_works,
        ),
    ],
    "api:detect": [
        Check(
            "detecting a face",
            "/api/rekognition/detect",
            api(no_key=NO_KEY, owner=200, other=200, superuser=200),
            method="POST",
            data=lambda world, user: {"image": _face_b64()},
            as_json=True,
        ),
    ],
}
