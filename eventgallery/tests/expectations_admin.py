"""What each user gets from the admin: every registered ModelAdmin's list, add, change,
delete, history and custom pages, its actions, filters, search and raw-id popups,
autocomplete and "View on site". Organizers (staff in the Organizers group) see and
change their own galleries, photos, face data, API keys and uploads only: another
organizer's objects do not exist for them, their actions and deletions do nothing,
and only a superuser gives a gallery to someone else."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api.models import ApiKey, PendingUpload
from eventgallery.tests.matrix import (
    LOGIN,
    NOT_THEIRS,
    Check,
    Redirect,
    Shadowed,
    expect,
    fill,
    manages,
    owners_object,
    staff,
    superuser_only,
)
from faces.models import ConsentReceipt, HideRequest, PhotoFaces
from galleries.models import Gallery, Photo
from galleries.tests.factories import unique_jpeg

User = get_user_model()
# The project's "View on site" (galleries/admin_access.py), before the admin's own.
VIEW_ON_SITE = "admin/r/<path:content_type_id>/<path:object_id>/"

ALL_THE_OWNERS_GALLERIES = frozenset(
    {"the draft's name", "the unlisted gallery's name", "the private gallery's name", "the other's draft name"}
)
THE_OWNERS_PHOTOS = frozenset(
    {"the draft photo's name", "the pending photo's name", "the failed photo's name", "the private photo's name"}
)


def model_admin(model, *, changelist, add, change, delete, history, redirect) -> dict:
    """The routes Django's admin makes for a ModelAdmin, each with its checks."""
    prefix = f"{model._meta.app_label}_{model._meta.model_name}"
    return {
        f"admin:{prefix}_changelist": changelist,
        f"admin:{prefix}_add": add,
        f"admin:{prefix}_change": change,
        f"admin:{prefix}_delete": delete,
        f"admin:{prefix}_history": history,
        f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/": redirect,
    }


def _url(model, suffix="") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def action(name, *ids):
    """The changelist's action form, sent with the owner's objects selected."""
    return lambda world, user: {
        "action": name,
        "index": 0,
        "_selected_action": [fill(f"{{{name}}}", world) for name in ids],
        "post": "yes",
    }


def _unchanged_unless_managed(describe, still):
    """After: `still(world)` is true for whoever does not manage the owner's data."""

    def after(world, user, response, data):
        assert still(world) != manages(user), f"{describe}: {'unchanged' if still(world) else 'changed'} as {user}"

    return after


def _exists(model, attribute):
    return lambda world: model.objects.filter(pk=getattr(world, attribute).pk).exists()


def _all_faces_indexed(world):
    return not PhotoFaces.objects.filter(gallery__owner=world.owner).exclude(status=PhotoFaces.Status.INDEXED).exists()


def _draft_photo_guest_visible(world):
    return not Photo.objects.get(pk=world.draft_photo.pk).hidden


def _hide_request_waiting(world):
    return HideRequest.objects.get(pk=world.draft_hide_request.pk).status == HideRequest.Status.PENDING


def _receipts_csv_of_managers(world, user, response, data):
    """The export holds the owner's receipt for those who manage it, and no biometric data."""
    if response.status_code != 200:
        return
    body = response.content.decode()
    assert body.splitlines()[0] == "time (UTC),gallery,gallery address,privacy text version"
    assert ("0123456789ab" in body) == manages(user)
    assert response["Content-Type"].startswith("text/csv")


def _draft_as_it_was(world):
    draft = Gallery.objects.get(pk=world.draft.pk)
    return draft.name == world.draft.name and draft.owner_id == world.owner.pk


def _gallery_form(world, user, gallery, **changes):
    values = {
        "name": gallery.name,
        "slug": gallery.slug,
        "event_date": "",
        "description": gallery.description,
        "cover": gallery.cover_id or "",
        "visibility": gallery.visibility,
        "access_code": gallery.access_code,
        "owner": gallery.owner_id or "",
    }
    if gallery.is_published:
        values["is_published"] = "on"
    if gallery.face_search_enabled:
        values["face_search_enabled"] = "on"
    return {**values, **changes}


def _someone_else(world, user):
    """Whom a user tries to give a gallery (or key) to: never themselves."""
    return world.owner if user != "owner" else world.other


def _draft_renamed_and_given_away(world, user):
    return _gallery_form(world, user, world.draft, name=f"Taken by {user}", owner=_someone_else(world, user).pk)


def _only_a_superuser_gives_the_draft_away(world, user, response, data):
    draft = Gallery.objects.get(pk=world.draft.pk)
    if user == "owner":
        # The owner field is read-only for them: the name changes, the owner stays.
        assert (draft.name, draft.owner) == ("Taken by owner", world.owner)
    elif user == "superuser":
        assert (draft.name, draft.owner) == ("Taken by superuser", world.owner)  # gives it to the owner: unchanged
    else:
        assert (draft.name, draft.owner) == (world.draft.name, world.owner)


def _draft_given_to_the_other(world, user):
    return _gallery_form(world, user, world.draft, owner=world.other.pk)


def _only_a_superuser_moves_the_owner(world, user, response, data):
    owner = Gallery.objects.get(pk=world.draft.pk).owner
    assert owner == (world.other if user == "superuser" else world.owner)


def _new_gallery(world, user):
    return {
        "name": f"Made in the admin by {user}",
        "slug": world.draft.slug,  # taken: the new gallery gets a suffix
        "visibility": "public",
        "access_code": "",
        "owner": _someone_else(world, user).pk,
    }


def _the_new_gallery_is_the_makers(world, user, response, data):
    made = Gallery.objects.filter(name=f"Made in the admin by {user}")
    if user in ("owner", "other"):
        assert made.get().owner == world.user(user), "an organizer's new gallery is theirs"
    elif user == "superuser":
        assert made.get().owner == _someone_else(world, user), "a superuser gives it to whom they chose"
    else:
        assert not made.exists()
    assert Gallery.objects.filter(slug=world.draft.slug).get().pk == world.draft.pk


def _others_cover_is_the_owners_photo(world, user):
    return _gallery_form(world, user, world.others_draft, cover=world.draft_photo.pk)


def _others_cover_unchanged(world, user, response, data):
    assert Gallery.objects.get(pk=world.others_draft.pk).cover_id is None


def _a_photo(world, user):
    return {"photos": SimpleUploadedFile(f"uploaded-by-{user}.jpg", unique_jpeg(), content_type="image/jpeg")}


def _uploaded_by_managers_only(world, user, response, data):
    uploaded = Photo.objects.filter(original_filename=f"uploaded-by-{user}.jpg")
    assert uploaded.exists() == manages(user)
    if uploaded.exists():
        assert uploaded.get().gallery_id == world.draft.pk


def _theirs():
    """An admin page of the other organizer's gallery: the owner is told it is not there."""
    return staff(200, other=200) | {"owner": 404}


def _closing_unchanged(world, user, response, data):
    assert Gallery.objects.get(pk=world.closed.pk).closes_at == world.closed.closes_at


def _extended_by_managers_only(world, user, response, data):
    closes_at = Gallery.objects.get(pk=world.closed.pk).closes_at
    if manages(user):
        assert closes_at > timezone.now() + timedelta(days=29)
    else:
        assert closes_at == world.closed.closes_at


def _new_key(world, user):
    return {"name": f"Key made by {user}", "user": _someone_else(world, user).pk}


def _the_new_key_is_the_makers(world, user, response, data):
    made = ApiKey.objects.filter(name=f"Key made by {user}")
    if user in ("owner", "other"):
        assert made.get().user == world.user(user)
    elif user == "superuser":
        assert made.get().user == _someone_else(world, user)
    else:
        assert not made.exists()


def _owner_key_untouched(world):
    key = ApiKey.objects.filter(pk=world.owner_key.pk).first()
    return key is not None and key.revoked_at is None and key.name == world.owner_key.name


def _other_is_no_superuser(world):
    return not User.objects.get(pk=world.other.pk).is_superuser


def _the_others_account_made_superuser(world, user):
    other = world.other
    return {
        "username": other.username,
        "password": other.password,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [world.organizers.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }


def _only_a_superuser_makes_a_superuser(world, user, response, data):
    assert User.objects.get(pk=world.other.pk).is_superuser == (user == "superuser")


def _owners_password_unchanged_unless_superuser(world, user, response, data):
    changed = User.objects.get(pk=world.owner.pk).check_password("taken-over-9921")
    assert changed == (user == "superuser")


def _organizers_group_unchanged_unless_superuser(world, user, response, data):
    group = Group.objects.get(pk=world.organizers.pk)
    has_user_permissions = group.permissions.filter(content_type__app_label="auth").exists()
    assert has_user_permissions == (user == "superuser")


# --- Autocomplete: every relation of every model, to a model with a searchable admin -----

# Who may look up each model through the admin's autocomplete, and what the owner's
# answers hold (`str()` of the objects found).
AUTOCOMPLETE = {
    Gallery: (staff(200), frozenset({"the draft's name", "the other's draft name", "the private gallery's name"})),
    Photo: (staff(200), frozenset({"the draft photo's name", "the pending photo's name"})),
    ApiKey: (staff(200), frozenset({"the owner's key name"})),
    PendingUpload: (staff(200), frozenset({"the pending upload's name"})),
    HideRequest: (staff(200), frozenset({"the draft's name"})),
    User: (superuser_only(200), frozenset()),
    Group: (superuser_only(200), frozenset()),
    AccessAttempt: (superuser_only(200), frozenset()),
}


def _autocomplete_checks() -> list[Check]:
    checks = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            remote = getattr(getattr(field, "remote_field", None), "model", None)
            if not field.concrete or remote is None:
                continue
            model_admin = admin.site._registry.get(remote)
            if model_admin is None or not model_admin.search_fields:
                continue  # Django refuses the lookup (403 or 404) before any query
            assert remote in AUTOCOMPLETE, (
                f"{model.__name__}.{field.name} can be looked up in the admin's autocomplete: "
                f"add {remote.__name__} to AUTOCOMPLETE in {__name__}"
            )
            outcome, shown = AUTOCOMPLETE[remote]
            checks.append(
                Check(
                    f"{remote.__name__} looked up for {model.__name__}.{field.name}",
                    f"/admin/autocomplete/?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
                    f"&field_name={field.name}",
                    outcome,
                    shown_to_managers=shown,
                )
            )
    return checks


ADMIN = {
    "admin:index": [Check("the admin's home", "/admin/", staff(200))],
    "admin:login": [
        Check(
            "the sign-in page",
            "/admin/login/",
            expect(
                owner=Redirect("/admin/"),
                other=Redirect("/admin/"),
                superuser=Redirect("/admin/"),
                anonymous=200,
                guest=200,
            ),
        ),
    ],
    "sso_admin_logout": [
        Check(
            "signing out",
            "/admin/logout/",
            expect(owner=200, other=200, superuser=200, anonymous=Redirect("/admin/"), guest=Redirect("/admin/")),
            method="POST",
        ),
    ],
    "admin:logout": Shadowed("/admin/logout/", by="sso_admin_logout"),
    "admin:password_change": [Check("changing one's password", "/admin/password_change/", staff(200))],
    "admin:password_change_done": [Check("the password changed", "/admin/password_change/done/", staff(200))],
    "admin:jsi18n": [Check("the admin's translations", "/admin/jsi18n/", staff(200))],
    "admin:app_list": [
        Check("the galleries app", "/admin/galleries/", staff(200)),
        Check("the users app", "/admin/auth/", superuser_only(200) | {"owner": 404, "other": 404}),
    ],
    "admin:autocomplete": [
        *_autocomplete_checks(),
        Check(
            "galleries searched for the draft's name",
            "/admin/autocomplete/?app_label=galleries&model_name=photo&field_name=gallery&term=Oleander",
            staff(200),
            shown_to_managers=frozenset({"the draft's name"}),
        ),
    ],
    "admin/(?P<url>.*)$": [
        Check("a page the admin does not have", "/admin/no-such-page/", staff(404)),
        Check(
            "the draft's page without its last slash",
            "/admin/galleries/gallery/{draft.pk}/change",
            staff(Redirect("/admin/galleries/gallery/{draft.pk}/change/")),
        ),
    ],
    # "View on site" for the organizer's own objects (galleries/admin_access.py).
    VIEW_ON_SITE: [
        Check(
            "the draft on the site",
            "/admin/r/{ct[gallery]}/{draft.pk}/",
            owners_object(Redirect("http://testserver/g/{draft.slug}/")) | {"other": 404},
        ),
        Check(
            "the unlisted gallery on the site",
            "/admin/r/{ct[gallery]}/{unlisted.pk}/",
            owners_object(Redirect("http://testserver/g/{unlisted.slug}/")) | {"other": 404},
        ),
        Check(
            "the other organizer's draft on the site",
            "/admin/r/{ct[gallery]}/{others_draft.pk}/",
            owners_object(Redirect("http://testserver/g/{others_draft.slug}/"))
            | {"owner": 404, "other": Redirect("http://testserver/g/{others_draft.slug}/")},
        ),
        Check("a photo (no page of its own)", "/admin/r/{ct[photo]}/{draft_photo.pk}/", staff(404)),
        Check("the owner's account", "/admin/r/{ct[user]}/{owner.pk}/", staff(404)),
        Check("a task result", "/admin/r/{ct[dbtaskresult]}/{task_result.pk}/", staff(404)),
        Check("an id that is not a number", "/admin/r/{ct[gallery]}/not-a-number/", staff(404)),
        Check("a type that does not exist", "/admin/r/999999/1/", staff(404)),
    ],
    "admin:view_on_site": Shadowed("/admin/r/{ct[gallery]}/{draft.pk}/", by=VIEW_ON_SITE),
    # --- Galleries ---
    **model_admin(
        Gallery,
        changelist=[
            Check("the galleries", _url(Gallery), staff(200), shown_to_managers=ALL_THE_OWNERS_GALLERIES),
            Check(
                "the galleries in a raw-id popup",
                _url(Gallery, "?_to_field=id&_popup=1"),
                staff(200),
                shown_to_managers=ALL_THE_OWNERS_GALLERIES,
            ),
            Check("a popup keyed by the access code", _url(Gallery, "?_to_field=access_code&_popup=1"), staff(400)),
            Check(
                "the drafts",
                _url(Gallery, "?is_published__exact=0"),
                staff(200),
                shown_to_managers=frozenset({"the draft's name", "the other's draft name"}),
            ),
            Check(
                "galleries searched for the draft's name",
                _url(Gallery, "?q=Oleander"),
                staff(200),
                shown_to_managers=frozenset({"the draft's name"}),
            ),
            Check(
                "galleries searched for the access code",
                _url(Gallery, "?q=quartz"),
                staff(200),
            ),
            Check(
                "the owner's galleries indexed again",
                _url(Gallery),
                staff(Redirect(_url(Gallery))),
                method="POST",
                data=action("reindex_faces", "public.pk", "private.pk", "draft.pk"),
                after=_unchanged_unless_managed("the owner's face data", _all_faces_indexed),
            ),
            Check(
                "the draft deleted from the list",
                _url(Gallery),
                staff(Redirect(_url(Gallery))),
                method="POST",
                data=action("delete_selected", "draft.pk"),
                after=_unchanged_unless_managed("the draft", _exists(Gallery, "draft")),
            ),
        ],
        add=[
            Check("the new gallery form", _url(Gallery, "add/"), staff(200)),
            Check(
                "a new gallery for someone else, at the draft's address",
                _url(Gallery, "add/"),
                staff(Redirect(_url(Gallery))),
                method="POST",
                data=_new_gallery,
                after=_the_new_gallery_is_the_makers,
            ),
        ],
        change=[
            Check(
                "the draft",
                _url(Gallery, "{draft.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft's name", "the draft photo's name"}),
            ),
            Check(
                "the private gallery",
                _url(Gallery, "{private.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the access code"}),
            ),
            Check(
                "the draft renamed and given to someone else",
                _url(Gallery, "{draft.pk}/change/"),
                owners_object(Redirect(_url(Gallery))),
                method="POST",
                data=_draft_renamed_and_given_away,
                after=_only_a_superuser_gives_the_draft_away,
            ),
            Check(
                "the draft given to the other organizer",
                _url(Gallery, "{draft.pk}/change/"),
                owners_object(Redirect(_url(Gallery))),
                method="POST",
                data=_draft_given_to_the_other,
                after=_only_a_superuser_moves_the_owner,
            ),
            Check(
                "the other organizer's cover set to the owner's photo",
                _url(Gallery, "{others_draft.pk}/change/"),
                # The form refuses the choice (200, with the error), for a superuser too.
                expect(owner=NOT_THEIRS, other=200, superuser=200, anonymous=LOGIN, guest=LOGIN),
                method="POST",
                data=_others_cover_is_the_owners_photo,
                after=_others_cover_unchanged,
            ),
        ],
        delete=[
            Check(
                "deleting the draft",
                _url(Gallery, "{draft.pk}/delete/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft's name"}),
            ),
            Check(
                "the draft deleted",
                _url(Gallery, "{draft.pk}/delete/"),
                owners_object(Redirect(_url(Gallery))),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the draft", _exists(Gallery, "draft")),
            ),
        ],
        history=[
            Check(
                "the draft's history",
                _url(Gallery, "{draft.pk}/history/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft's name"}),
            ),
        ],
        redirect=[
            Check(
                "the draft's short address",
                _url(Gallery, "{draft.pk}/"),
                staff(Redirect(_url(Gallery, "{draft.pk}/change/"))),
            ),
        ],
    ),
    "admin:galleries_gallery_upload": [
        Check(
            "the draft's upload, opened",
            _url(Gallery, "{draft.pk}/upload/"),
            owners_object(Redirect(_url(Gallery, "{draft.pk}/change/"))) | {"other": 404},
        ),
        Check(
            "a photo uploaded into the draft",
            _url(Gallery, "{draft.pk}/upload/"),
            owners_object(Redirect(_url(Gallery, "{draft.pk}/change/"))) | {"other": 404},
            method="POST",
            data=_a_photo,
            after=_uploaded_by_managers_only,
        ),
    ],
    "admin:galleries_gallery_extend_closing": [
        Check(
            "the closed gallery's extension, opened",
            _url(Gallery, "{closed.pk}/extend-closing/"),
            owners_object(Redirect(_url(Gallery, "{closed.pk}/change/"))) | {"other": 404},
            after=_closing_unchanged,
        ),
        Check(
            "the closed gallery extended by 30 days",
            _url(Gallery, "{closed.pk}/extend-closing/"),
            owners_object(Redirect(_url(Gallery, "{closed.pk}/change/"))) | {"other": 404},
            method="POST",
            after=_extended_by_managers_only,
        ),
    ],
    # The watermark's preview: the owner's private gallery's first photo, with the saved
    # watermark or with one asked for in the query.
    "admin:galleries_gallery_watermark_preview": [
        Check(
            "the private gallery's watermark preview",
            _url(Gallery, "{private.pk}/watermark-preview.jpg"),
            owners_object(200) | {"other": 404},
        ),
        Check(
            "the draft's watermark preview with a text asked for",
            _url(Gallery, "{draft.pk}/watermark-preview.jpg?watermark=text&watermark_text=Proof"),
            owners_object(200) | {"other": 404},
        ),
        Check(
            "the other organizer's draft's watermark preview",
            _url(Gallery, "{others_draft.pk}/watermark-preview.jpg"),
            _theirs(),
        ),
    ],
    # Share cards: the owner's private gallery, whose card prints its access code.
    "admin:galleries_gallery_qr_svg": [
        Check(
            "the private gallery's QR code (SVG)",
            _url(Gallery, "{private.pk}/share/qr.svg?download=1"),
            owners_object(200) | {"other": 404},
            shown_to_managers=frozenset({"the private gallery's slug"}),
        ),
        Check("the other organizer's draft's QR code", _url(Gallery, "{others_draft.pk}/share/qr.svg"), _theirs()),
    ],
    "admin:galleries_gallery_qr_png": [
        Check(
            "the private gallery's QR code (PNG)",
            _url(Gallery, "{private.pk}/share/qr.png"),
            owners_object(200) | {"other": 404},
        ),
        Check("the other organizer's draft's QR code", _url(Gallery, "{others_draft.pk}/share/qr.png"), _theirs()),
    ],
    "admin:galleries_gallery_share_card": [
        Check(
            "the private gallery's A6 card",
            _url(Gallery, "{private.pk}/share/card/a6/"),
            owners_object(200) | {"other": 404},
            shown_to_managers=frozenset({"the access code", "the private gallery's name"}),
        ),
        Check(
            "the draft's A5 card",
            _url(Gallery, "{draft.pk}/share/card/a5/"),
            owners_object(200) | {"other": 404},
            shown_to_managers=frozenset({"the draft's name", "the draft's slug"}),
        ),
        Check("a card of a size that does not exist", _url(Gallery, "{draft.pk}/share/card/letter/"), staff(404)),
        Check("the other organizer's draft's card", _url(Gallery, "{others_draft.pk}/share/card/a6/"), _theirs()),
    ],
    "admin:galleries_gallery_share_sheet": [
        Check(
            "the private gallery's sheet of cards",
            _url(Gallery, "{private.pk}/share/sheet/"),
            owners_object(200) | {"other": 404},
            shown_to_managers=frozenset({"the access code", "the private gallery's name"}),
        ),
        Check("the other organizer's draft's sheet", _url(Gallery, "{others_draft.pk}/share/sheet/"), _theirs()),
    ],
    # --- Favourites (favourites/admin.py) ---
    "favourites_csv": [
        Check(
            "the private gallery's favourites as CSV",
            "/admin/favourites/{private.pk}/favourites.csv",
            staff(200, other=404),
            shown_to_managers=frozenset({"the private photo's name", "the private gallery's guest's name"}),
        ),
        Check(
            "the other organizer's draft's favourites", "/admin/favourites/{others_draft.pk}/favourites.csv", _theirs()
        ),
        Check("a gallery that does not exist", "/admin/favourites/999999/favourites.csv", staff(404)),
    ],
    "favourites_lightroom": [
        Check(
            "the private gallery's favourites for Lightroom",
            "/admin/favourites/{private.pk}/lightroom.txt",
            staff(200, other=404),
        ),
        Check(
            "the other organizer's draft's favourites for Lightroom",
            "/admin/favourites/{others_draft.pk}/lightroom.txt",
            _theirs(),
        ),
    ],
    # --- Photos ---
    **model_admin(
        Photo,
        changelist=[
            Check(
                "the photos",
                _url(Photo),
                staff(200),
                shown_to_managers=THE_OWNERS_PHOTOS | {"the draft's name", "the private gallery's name"},
            ),
            Check(
                "the photos in a raw-id popup",
                _url(Photo, "?_to_field=id&_popup=1"),
                staff(200),
                shown_to_managers=THE_OWNERS_PHOTOS,
            ),
            Check(
                "the draft's photos",
                _url(Photo, "?gallery__id__exact={draft.pk}"),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name"}),
            ),
            Check(
                "the failed photos",
                _url(Photo, "?status__exact=failed"),
                staff(200),
                shown_to_managers=frozenset({"the failed photo's name", "the failed photo's error"}),
            ),
            Check(
                "photos searched for the draft's name",
                _url(Photo, "?q=oleander"),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name"}),
            ),
            Check(
                "the draft photo made the draft's cover",
                _url(Photo),
                staff(Redirect(_url(Photo))),
                method="POST",
                data=action("make_cover", "draft_photo.pk"),
                after=_unchanged_unless_managed(
                    "the draft's cover", lambda world: Gallery.objects.get(pk=world.draft.pk).cover_id is None
                ),
            ),
            Check(
                "the failed photo processed again",
                _url(Photo),
                staff(Redirect(_url(Photo))),
                method="POST",
                data=action("reprocess", "failed_photo.pk"),
                after=_unchanged_unless_managed(
                    "the failed photo",
                    lambda world: Photo.objects.get(pk=world.failed_photo.pk).status == Photo.Status.FAILED,
                ),
            ),
            Check(
                "the guests' photos waiting for approval",
                _url(Photo, "?review__exact=pending"),
                staff(200),
                shown_to_managers=frozenset({"the guest photo's name", "the guest photo's uploader"}),
            ),
            Check(
                "the guest photo approved",
                _url(Photo),
                staff(Redirect(_url(Photo))),
                method="POST",
                data=action("approve_guest_photos", "guest_photo.pk"),
                after=_unchanged_unless_managed(
                    "the guest photo",
                    lambda world: Photo.objects.get(pk=world.guest_photo.pk).review == Photo.Review.PENDING,
                ),
            ),
            Check(
                "the guest photo rejected",
                _url(Photo),
                staff(Redirect(_url(Photo))),
                method="POST",
                data=action("reject_guest_photos", "guest_photo.pk"),
                after=_unchanged_unless_managed("the guest photo", _exists(Photo, "guest_photo")),
            ),
            Check(
                "the draft photo deleted from the list",
                _url(Photo),
                staff(Redirect(_url(Photo))),
                method="POST",
                data=action("delete_selected", "draft_photo.pk"),
                after=_unchanged_unless_managed("the draft photo", _exists(Photo, "draft_photo")),
            ),
        ],
        # Photos come through the gallery's upload: no one adds one here.
        add=[Check("the new photo form", _url(Photo, "add/"), staff(403))],
        change=[
            Check(
                "the draft photo",
                _url(Photo, "{draft_photo.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft photo's name", "the draft photo's key"}),
            ),
            Check(
                "the pending photo",
                _url(Photo, "{pending_photo.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the pending photo's key"}),
            ),
        ],
        delete=[
            Check("deleting the draft photo", _url(Photo, "{draft_photo.pk}/delete/"), owners_object()),
            Check(
                "the draft photo deleted",
                _url(Photo, "{draft_photo.pk}/delete/"),
                owners_object(Redirect(_url(Photo))),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the draft photo", _exists(Photo, "draft_photo")),
            ),
        ],
        history=[Check("the draft photo's history", _url(Photo, "{draft_photo.pk}/history/"), owners_object())],
        redirect=[
            Check(
                "the draft photo's short address",
                _url(Photo, "{draft_photo.pk}/"),
                staff(Redirect(_url(Photo, "{draft_photo.pk}/change/"))),
            ),
        ],
    ),
    # --- Face data (Find me) ---
    **model_admin(
        PhotoFaces,
        changelist=[
            Check(
                "the photos' faces",
                _url(PhotoFaces),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name", "the draft's name"}),
            ),
            Check(
                "the photos' faces in a raw-id popup",
                _url(PhotoFaces, "?_to_field=photo&_popup=1"),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name"}),
            ),
            Check(
                "the draft's faces",
                _url(PhotoFaces, "?gallery__id__exact={draft.pk}"),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name"}),
            ),
            Check(
                "faces searched for the draft's name",
                _url(PhotoFaces, "?q=Oleander"),
                staff(200),
                shown_to_managers=frozenset({"the draft photo's name"}),
            ),
            Check(
                "the draft photo's faces indexed again",
                _url(PhotoFaces),
                staff(Redirect(_url(PhotoFaces))),
                method="POST",
                data=action("index_again", "draft_faces.pk"),
                after=_unchanged_unless_managed("the owner's face data", _all_faces_indexed),
            ),
            Check(
                "the draft photo's faces deleted from the list",
                _url(PhotoFaces),
                staff(Redirect(_url(PhotoFaces))),
                method="POST",
                data=action("delete_selected", "draft_faces.pk"),
                after=_unchanged_unless_managed("the draft photo's faces", _exists(PhotoFaces, "draft_faces")),
            ),
        ],
        add=[Check("the new face data form", _url(PhotoFaces, "add/"), staff(403))],
        change=[
            Check(
                "the draft photo's faces",
                _url(PhotoFaces, "{draft_faces.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft photo's name", "the draft photo's key"}),
            ),
        ],
        delete=[
            Check("deleting the draft photo's faces", _url(PhotoFaces, "{draft_faces.pk}/delete/"), owners_object()),
            Check(
                "the draft photo's faces deleted",
                _url(PhotoFaces, "{draft_faces.pk}/delete/"),
                owners_object(Redirect(_url(PhotoFaces))),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the draft photo's faces", _exists(PhotoFaces, "draft_faces")),
            ),
        ],
        history=[Check("the faces' history", _url(PhotoFaces, "{draft_faces.pk}/history/"), owners_object())],
        redirect=[
            Check(
                "the faces' short address",
                _url(PhotoFaces, "{draft_faces.pk}/"),
                staff(Redirect(_url(PhotoFaces, "{draft_faces.pk}/change/"))),
            ),
        ],
    ),
    # --- Hide requests and consent receipts (Find me's privacy) ---
    **model_admin(
        HideRequest,
        changelist=[
            Check(
                "the hide requests",
                _url(HideRequest),
                staff(200),
                shown_to_managers=frozenset({"the draft's name", "the hide request's contact"}),
            ),
            Check(
                "the hide requests of the draft photo",
                _url(HideRequest, "?entries__photo={draft_photo.pk}"),
                staff(200),
                shown_to_managers=frozenset({"the draft's name", "the hide request's contact"}),
            ),
            Check(
                "the hide request approved: the draft photo hidden",
                _url(HideRequest),
                staff(Redirect(_url(HideRequest))),
                method="POST",
                data=action("apply_hide", "draft_hide_request.pk"),
                after=_unchanged_unless_managed("the draft photo's visibility", _draft_photo_guest_visible),
            ),
            Check(
                "the hide request rejected",
                _url(HideRequest),
                staff(Redirect(_url(HideRequest))),
                method="POST",
                data=action("reject", "draft_hide_request.pk"),
                after=_unchanged_unless_managed("the hide request", _hide_request_waiting),
            ),
            Check(
                "the hide request deleted from the list",
                _url(HideRequest),
                staff(Redirect(_url(HideRequest))),
                method="POST",
                data=action("delete_selected", "draft_hide_request.pk"),
                after=_unchanged_unless_managed("the hide request", _exists(HideRequest, "draft_hide_request")),
            ),
        ],
        add=[Check("the new hide request form", _url(HideRequest, "add/"), staff(403))],
        change=[
            Check(
                "the hide request",
                _url(HideRequest, "{draft_hide_request.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft photo's name", "the hide request's contact"}),
            ),
        ],
        delete=[
            Check("deleting the hide request", _url(HideRequest, "{draft_hide_request.pk}/delete/"), owners_object()),
            Check(
                "the hide request deleted",
                _url(HideRequest, "{draft_hide_request.pk}/delete/"),
                owners_object(Redirect(_url(HideRequest))),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the hide request", _exists(HideRequest, "draft_hide_request")),
            ),
        ],
        history=[
            Check("the hide request's history", _url(HideRequest, "{draft_hide_request.pk}/history/"), owners_object())
        ],
        redirect=[
            Check(
                "the hide request's short address",
                _url(HideRequest, "{draft_hide_request.pk}/"),
                staff(Redirect(_url(HideRequest, "{draft_hide_request.pk}/change/"))),
            ),
        ],
    ),
    **model_admin(
        ConsentReceipt,
        changelist=[
            Check(
                "the consent receipts",
                _url(ConsentReceipt),
                staff(200),
                shown_to_managers=frozenset({"the draft's name"}),
            ),
            Check(
                "the consent receipts exported",
                _url(ConsentReceipt),
                staff(200),
                method="POST",
                data=action("export_csv", "draft_receipt.pk"),
                after=_receipts_csv_of_managers,
            ),
        ],
        add=[Check("the new receipt form", _url(ConsentReceipt, "add/"), staff(403))],
        change=[
            Check(
                "the receipt",
                _url(ConsentReceipt, "{draft_receipt.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the draft's name"}),
            ),
        ],
        delete=[
            Check("deleting the receipt", _url(ConsentReceipt, "{draft_receipt.pk}/delete/"), owners_object()),
            Check(
                "the receipt deleted",
                _url(ConsentReceipt, "{draft_receipt.pk}/delete/"),
                # Receipts are read-only: after a deletion, the admin's home page.
                owners_object(NOT_THEIRS),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the receipt", _exists(ConsentReceipt, "draft_receipt")),
            ),
        ],
        history=[Check("the receipt's history", _url(ConsentReceipt, "{draft_receipt.pk}/history/"), owners_object())],
        redirect=[
            Check(
                "the receipt's short address",
                _url(ConsentReceipt, "{draft_receipt.pk}/"),
                staff(Redirect(_url(ConsentReceipt, "{draft_receipt.pk}/change/"))),
            ),
        ],
    ),
    # --- API keys and uploads waiting to be attached ---
    **model_admin(
        ApiKey,
        changelist=[
            Check(
                "the API keys",
                _url(ApiKey),
                staff(200),
                shown_to_managers=frozenset({"the owner's key prefix", "the owner's key name"}),
            ),
            Check(
                "the owner's key revoked",
                _url(ApiKey),
                staff(Redirect(_url(ApiKey))),
                method="POST",
                data=action("revoke", "owner_key.pk"),
                after=_unchanged_unless_managed("the owner's key", _owner_key_untouched),
            ),
            Check(
                "the owner's key deleted from the list",
                _url(ApiKey),
                staff(Redirect(_url(ApiKey))),
                method="POST",
                data=action("delete_selected", "owner_key.pk"),
                after=_unchanged_unless_managed("the owner's key", _owner_key_untouched),
            ),
        ],
        add=[
            Check("the new key form", _url(ApiKey, "add/"), staff(200)),
            Check(
                "a new key for someone else",
                _url(ApiKey, "add/"),
                staff(Redirect(_url(ApiKey))),
                method="POST",
                data=_new_key,
                after=_the_new_key_is_the_makers,
            ),
        ],
        change=[
            Check(
                "the owner's key",
                _url(ApiKey, "{owner_key.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the owner's key prefix", "the owner's key name"}),
            ),
            Check(
                "the owner's key renamed",
                _url(ApiKey, "{owner_key.pk}/change/"),
                owners_object(Redirect(_url(ApiKey))),
                method="POST",
                data=lambda world, user: {"name": "Renamed", "user": world.owner.pk},
                after=_unchanged_unless_managed("the owner's key", _owner_key_untouched),
            ),
        ],
        delete=[
            Check("deleting the owner's key", _url(ApiKey, "{owner_key.pk}/delete/"), owners_object()),
            Check(
                "the owner's key deleted",
                _url(ApiKey, "{owner_key.pk}/delete/"),
                owners_object(Redirect(_url(ApiKey))),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the owner's key", _owner_key_untouched),
            ),
        ],
        history=[Check("the key's history", _url(ApiKey, "{owner_key.pk}/history/"), owners_object())],
        redirect=[
            Check(
                "the key's short address",
                _url(ApiKey, "{owner_key.pk}/"),
                staff(Redirect(_url(ApiKey, "{owner_key.pk}/change/"))),
            ),
        ],
    ),
    **model_admin(
        PendingUpload,
        changelist=[
            Check(
                "the uploads waiting",
                _url(PendingUpload),
                staff(200),
                shown_to_managers=frozenset({"the pending upload's name"}),
            ),
            Check(
                "the owner's upload deleted from the list",
                _url(PendingUpload),
                staff(Redirect(_url(PendingUpload))),
                method="POST",
                data=action("delete_selected", "pending_upload.pk"),
                after=_unchanged_unless_managed("the pending upload", _exists(PendingUpload, "pending_upload")),
            ),
        ],
        add=[Check("the new upload form", _url(PendingUpload, "add/"), staff(403))],
        change=[
            Check(
                "the owner's upload",
                _url(PendingUpload, "{pending_upload.pk}/change/"),
                owners_object(),
                shown_to_managers=frozenset({"the pending upload's name", "the pending upload's key"}),
            ),
        ],
        delete=[
            Check("deleting the owner's upload", _url(PendingUpload, "{pending_upload.pk}/delete/"), owners_object()),
            Check(
                "the owner's upload deleted",
                _url(PendingUpload, "{pending_upload.pk}/delete/"),
                # Uploads cannot be changed, so Django goes back to the admin's home afterwards.
                staff(Redirect("/admin/", exact=True)),
                method="POST",
                data={"post": "yes"},
                after=_unchanged_unless_managed("the pending upload", _exists(PendingUpload, "pending_upload")),
            ),
        ],
        history=[
            Check("the upload's history", _url(PendingUpload, "{pending_upload.pk}/history/"), owners_object()),
        ],
        redirect=[
            Check(
                "the upload's short address",
                _url(PendingUpload, "{pending_upload.pk}/"),
                staff(Redirect(_url(PendingUpload, "{pending_upload.pk}/change/"))),
            ),
        ],
    ),
    # --- Users, groups and the task queue: superusers only ---
    **model_admin(
        User,
        changelist=[Check("the users", _url(User), superuser_only())],
        add=[Check("the new user form", _url(User, "add/"), superuser_only())],
        change=[
            Check("the owner's account", _url(User, "{owner.pk}/change/"), superuser_only()),
            Check(
                "the other organizer's account made superuser",
                _url(User, "{other.pk}/change/"),
                superuser_only(Redirect(_url(User))),
                method="POST",
                data=_the_others_account_made_superuser,
                after=_only_a_superuser_makes_a_superuser,
            ),
        ],
        delete=[Check("deleting the owner's account", _url(User, "{owner.pk}/delete/"), superuser_only())],
        history=[Check("the owner's account's history", _url(User, "{owner.pk}/history/"), superuser_only())],
        redirect=[
            Check(
                "the owner's account's short address",
                _url(User, "{owner.pk}/"),
                staff(Redirect(_url(User, "{owner.pk}/change/"))),
            ),
        ],
    ),
    "admin:auth_user_password_change": [
        Check("the owner's password form", _url(User, "{owner.pk}/password/"), superuser_only()),
        Check(
            "the owner's password changed",
            _url(User, "{owner.pk}/password/"),
            superuser_only(Redirect(_url(User, "{owner.pk}/change/"))),
            method="POST",
            data={"password1": "taken-over-9921", "password2": "taken-over-9921", "usable_password": "true"},
            after=_owners_password_unchanged_unless_superuser,
        ),
    ],
    **model_admin(
        Group,
        changelist=[Check("the groups", _url(Group), superuser_only())],
        add=[Check("the new group form", _url(Group, "add/"), superuser_only())],
        change=[
            Check("the Organizers group", _url(Group, "{organizers.pk}/change/"), superuser_only()),
            Check(
                "the Organizers group given the users' permissions",
                _url(Group, "{organizers.pk}/change/"),
                superuser_only(Redirect(_url(Group))),
                method="POST",
                data=lambda world, user: {
                    "name": world.organizers.name,
                    "permissions": [
                        *world.organizers.permissions.values_list("pk", flat=True),
                        *Permission.objects.filter(content_type__app_label="auth").values_list("pk", flat=True),
                    ],
                },
                after=_organizers_group_unchanged_unless_superuser,
            ),
        ],
        delete=[Check("deleting the Organizers group", _url(Group, "{organizers.pk}/delete/"), superuser_only())],
        history=[Check("the group's history", _url(Group, "{organizers.pk}/history/"), superuser_only())],
        redirect=[
            Check(
                "the group's short address",
                _url(Group, "{organizers.pk}/"),
                staff(Redirect(_url(Group, "{organizers.pk}/change/"))),
            ),
        ],
    ),
    **model_admin(
        DBTaskResult,
        changelist=[Check("the task queue", _url(DBTaskResult), superuser_only())],
        # django-tasks' admin shows results; nobody adds, changes or deletes them there.
        add=[Check("the new task form", _url(DBTaskResult, "add/"), superuser_only(403))],
        change=[Check("a task", _url(DBTaskResult, "{task_result.pk}/change/"), superuser_only())],
        delete=[Check("deleting a task", _url(DBTaskResult, "{task_result.pk}/delete/"), superuser_only(403))],
        history=[Check("a task's history", _url(DBTaskResult, "{task_result.pk}/history/"), superuser_only())],
        redirect=[
            Check(
                "a task's short address",
                _url(DBTaskResult, "{task_result.pk}/"),
                staff(Redirect(_url(DBTaskResult, "{task_result.pk}/change/"))),
            ),
        ],
    ),
    # django-axes' records of admin log-in failures: superusers read them and delete
    # them to lift a lock; nobody adds one by hand.
    **{
        route: checks
        for model, name in [
            (AccessAttempt, "access_attempt"),
            (AccessLog, "access_log"),
            (AccessFailureLog, "access_failure_log"),
        ]
        for route, checks in model_admin(
            model,
            changelist=[Check(f"the list of {name}s", _url(model), superuser_only())],
            add=[Check(f"a new {name}", _url(model, "add/"), superuser_only(403))],
            change=[Check(f"an {name}", _url(model, f"{{{name}.pk}}/change/"), superuser_only())],
            delete=[Check(f"deleting an {name}", _url(model, f"{{{name}.pk}}/delete/"), superuser_only())],
            history=[Check(f"an {name}'s history", _url(model, f"{{{name}.pk}}/history/"), superuser_only())],
            redirect=[
                Check(
                    f"an {name}'s short address",
                    _url(model, f"{{{name}.pk}}/"),
                    staff(Redirect(_url(model, f"{{{name}.pk}}/change/"))),
                ),
            ],
        ).items()
    },
}
