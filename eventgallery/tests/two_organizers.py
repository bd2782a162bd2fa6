"""Two organizers and their data, as the route matrix (test_every_route.py) attacks them.

`owner` has a gallery in every state (published public, unlisted, private with a code, a
draft), real photos (ready, one still pending, one failed), Find me on with faces
indexed by the real local engine, an upload through the API waiting to be attached and
an API key, and a published public gallery that has closed (Find me off, as
close_expired_galleries leaves it). `other` is an organizer just like them (staff, in the Organizers group, an
API key) with a draft of their own. A superuser and a guest who typed the private
gallery's code complete the cast.

Every string that must not leak is distinctive, so that finding it in a response means
that it leaked, and has no character that HTML or JSON would escape, so that it reads
the same in every answer: `World.secrets` names them, with who may see each.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from accounts.services import organizers_group
from api.files import file_token
from api.models import ApiKey, PendingUpload
from api.services import api_key_create, pending_upload_create
from faces import search
from faces.models import ConsentReceipt, Face, HideRequest, HideRequestPhoto, PhotoFaces
from faces.services.results_token import find_me_results_token
from faces.services.search import PhotoMatch, SearchResult
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES
from faces.tests.find_me import jpeg
from favourites.models import Favourite, GuestName
from galleries.models import Gallery, Photo
from galleries.services.photos import photo_create
from galleries.tests.factories import make_user, unique_jpeg, upload_photo

USERS = ("owner", "other", "superuser", "anonymous", "guest")
# A guest of the private gallery who hearted its photo and gave their name (as stored:
# a hash of some device's cookie).
FAVOURITE_GUEST = "f" * 32
FAVOURITE_GUEST_NAME = "Thessaly Marchbank"
# Those who manage the owner's galleries (galleries/access.py).
MANAGERS = frozenset({"owner", "superuser"})

ACCESS_CODE = "quartz-lantern-7713"
# Around the person in the middle of the group photo, whose selfie Find me is asked with.
_AROUND_THE_CENTRE = (360, 200, 660, 560)
_CENTRE = GROUP_PHOTO_FACE_CENTRES[2]


@dataclass(frozen=True)
class Secret:
    value: str
    # The organizer whose data it is: they and superusers may see it, nobody else
    # unless a route's expectation says so (a guest page of the gallery, say).
    of: str


@dataclass
class World:
    owner: object
    other: object
    superuser: object
    keys: dict[str, str]  # user name -> the API key they send
    owner_key: ApiKey
    public: Gallery
    unlisted: Gallery
    private: Gallery
    draft: Gallery
    no_find_me: Gallery  # the owner's published gallery with Find me off
    closed: Gallery  # the owner's published public gallery, past its closing time
    others_draft: Gallery
    public_photo: Photo
    pending_photo: Photo
    failed_photo: Photo
    guest_photo: Photo  # a guest's, in the private gallery, processed and waiting for approval
    unlisted_photo: Photo
    private_photo: Photo
    draft_photo: Photo
    others_photo: Photo
    closed_photo: Photo
    draft_faces: PhotoFaces
    draft_face: Face
    # A guest's request to hide the draft photo, waiting for approval; a search's receipt.
    draft_hide_request: HideRequest
    draft_receipt: ConsentReceipt
    pending_upload: PendingUpload
    others_pending_upload: PendingUpload
    selfie: bytes
    organizers: Group
    task_result: DBTaskResult
    # django-axes' records of admin log-in failures, which only superusers see.
    access_attempt: AccessAttempt
    access_log: AccessLog
    access_failure_log: AccessFailureLog
    # The signed /api/files/ address of the pending upload, as POST /api/image/upload gave it.
    pending_upload_token: str
    # Links to Find me's results (their signed token) as a search of the gallery gives
    # them, by gallery: "public", "private", "draft", "others_draft".
    find_me_results: dict[str, str]
    # Content type ids, for the admin's "View on site" (/admin/r/<type>/<id>/).
    ct: dict[str, int]
    secrets: dict[str, Secret] = field(default_factory=dict)

    def user(self, name: str):
        return {"owner": self.owner, "other": self.other, "superuser": self.superuser}.get(name)

    def forbidden_to(self, user: str) -> dict[str, str]:
        """The secrets `user` may not see unless a route's expectation opens them."""
        if user == "superuser":
            return {name: s.value for name, s in self.secrets.items() if s.of == "nobody"}
        return {name: s.value for name, s in self.secrets.items() if s.of != user}


def _organizer(username: str):
    user = make_user(staff=True, username=username)
    user.groups.add(organizers_group())
    return user


def _damage(photo: Photo) -> None:
    """Cuts the stored original short after it was accepted: its processing fails, as it
    does for a file damaged in storage."""
    with default_storage.open(photo.original.name, "rb") as fh:
        content = fh.read()
    default_storage.delete(photo.original.name)
    default_storage.save(photo.original.name, ContentFile(content[: len(content) // 3]))


def build_world() -> World:
    """Makes the data through the services, the way uploads and the worker make it;
    processing and face indexing run at commit, as the worker would run them."""
    owner = _organizer("owner")
    other = _organizer("other")
    superuser = make_user(superuser=True, username="root")
    keys = {}
    owner_api_key, keys["owner"] = api_key_create(user=owner, name="Owner upload app Saffron")
    _, keys["other"] = api_key_create(user=other, name="Other upload app")
    _, keys["superuser"] = api_key_create(user=superuser, name="Superuser script")

    def gallery(name, slug, **fields):
        fields.setdefault("is_published", True)
        fields.setdefault("owner", owner)
        return Gallery.objects.create(name=name, slug=slug, **fields)

    public = gallery("Summer Party Public", "summer-party-public", face_search_enabled=True)
    unlisted = gallery("Unlisted Gala Marigold", "unlisted-gala-marigold", visibility=Gallery.Visibility.UNLISTED)
    private = gallery(
        "Private Wedding Juniper",
        "private-wedding-juniper",
        visibility=Gallery.Visibility.PRIVATE,
        access_code=ACCESS_CODE,
        face_search_enabled=True,
        guest_uploads=Gallery.GuestUploads.APPROVAL,
    )
    draft = gallery("Secret Draft Oleander", "secret-draft-oleander", is_published=False, face_search_enabled=True)
    no_find_me = gallery("Quiet Picnic", "quiet-picnic")
    closed = gallery("Closed Reunion Wisteria", "closed-reunion-wisteria", closes_at=timezone.now() - timedelta(days=1))
    others_draft = gallery("Others Draft Tamarind", "others-draft-tamarind", is_published=False, owner=other)
    for g in (public, private, draft):
        search.forget(g.pk)

    the_person = jpeg(face_images.group_photo().crop(_AROUND_THE_CENTRE))
    with TestCase.captureOnCommitCallbacks(execute=True):
        public_photo = upload_photo(public, content=the_person, filename="public-party.jpg", process=False)
        private_photo = upload_photo(private, content=the_person, filename="private-juniper-photo.jpg", process=False)
        draft_photo = upload_photo(draft, content=the_person, filename="draft-oleander-photo.jpg", process=False)
        unlisted_photo = upload_photo(unlisted, filename="unlisted-marigold-photo.jpg", process=False)
        others_photo = upload_photo(others_draft, filename="others-tamarind-photo.jpg", process=False)
        closed_photo = upload_photo(closed, filename="closed-wisteria-photo.jpg", process=False)
        failed_photo = upload_photo(public, filename="public-failed-damaged.jpg", process=False)
        _damage(failed_photo)
        # A guest's upload to the private gallery, processed and waiting for approval.
        guest_photo = photo_create(
            gallery=private,
            upload=ContentFile(unique_jpeg(), name="x.jpg"),
            filename="guest-heliotrope-photo.jpg",
            review=Photo.Review.PENDING,
            guest_name="Guest Heliotrope",
        )
    pending_photo = upload_photo(public, filename="public-pending-waiting.jpg", process=False)
    photos = (public_photo, private_photo, draft_photo, unlisted_photo, others_photo, closed_photo)
    for photo in (*photos, failed_photo, pending_photo, guest_photo):
        photo.refresh_from_db()
    assert [p.status for p in (*photos, guest_photo)] == [Photo.Status.READY] * 7
    assert failed_photo.status == Photo.Status.FAILED, failed_photo.status
    assert pending_photo.status == Photo.Status.PENDING
    draft_faces = PhotoFaces.objects.get(photo=draft_photo)
    assert draft_faces.status == PhotoFaces.Status.INDEXED and draft_faces.face_count == 1, draft_faces.error
    assert PhotoFaces.objects.filter(status=PhotoFaces.Status.INDEXED).count() == 3

    pending_upload = pending_upload_create(
        owner=owner, upload=ContentFile(unique_jpeg(), name="x.jpg"), filename="owner-pending-upload-fennel.jpg"
    )
    others_pending_upload = pending_upload_create(
        owner=other, upload=ContentFile(unique_jpeg(), name="x.jpg"), filename="others-pending-upload.jpg"
    )
    Favourite.objects.create(gallery=private, photo=private_photo, guest=FAVOURITE_GUEST)
    GuestName.objects.create(gallery=private, guest=FAVOURITE_GUEST, name=FAVOURITE_GUEST_NAME)
    selfie = face_images.selfie_of(face_images.group_photo(), _CENTRE, face_px=110)
    buffer = io.BytesIO()
    selfie.save(buffer, "JPEG", quality=90)

    world = World(
        owner=owner,
        other=other,
        superuser=superuser,
        keys=keys,
        owner_key=owner_api_key,
        public=public,
        unlisted=unlisted,
        private=private,
        draft=draft,
        no_find_me=no_find_me,
        others_draft=others_draft,
        closed=closed,
        public_photo=public_photo,
        pending_photo=pending_photo,
        failed_photo=failed_photo,
        guest_photo=guest_photo,
        unlisted_photo=unlisted_photo,
        private_photo=private_photo,
        draft_photo=draft_photo,
        others_photo=others_photo,
        closed_photo=closed_photo,
        draft_faces=draft_faces,
        draft_face=Face.objects.get(photo=draft_photo),
        draft_hide_request=_hide_request(draft, draft_photo, contact="guest-hyacinth@example.com"),
        draft_receipt=ConsentReceipt.objects.create(gallery=draft, policy_version="0123456789ab"),
        pending_upload=pending_upload,
        others_pending_upload=others_pending_upload,
        selfie=buffer.getvalue(),
        organizers=organizers_group(),
        # A task of the worker's queue, as the database backend keeps it (the tests run tasks at once).
        task_result=DBTaskResult.objects.create(
            task_path="galleries.tasks.process_photo",
            args_kwargs={"args": [], "kwargs": {"photo_id": draft_photo.pk}},
            backend_name="default",
            queue_name="default",
            run_after=get_date_max(),
        ),
        access_attempt=AccessAttempt.objects.create(
            username="someone",
            ip_address="192.0.2.1",
            user_agent="",
            http_accept="",
            path_info="/admin/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        ),
        access_log=AccessLog.objects.create(
            username="someone", ip_address="192.0.2.1", user_agent="", http_accept="", path_info="/admin/login/"
        ),
        access_failure_log=AccessFailureLog.objects.create(
            username="someone", ip_address="192.0.2.1", user_agent="", http_accept="", path_info="/admin/login/"
        ),
        pending_upload_token=file_token(pending_upload.file.name),
        find_me_results={
            "public": _find_me_results(public, public_photo),
            "private": _find_me_results(private, private_photo),
            "draft": _find_me_results(draft, draft_photo),
            "others_draft": _find_me_results(others_draft, None),
        },
        ct={
            model._meta.model_name: ContentType.objects.get_for_model(model).pk
            for model in (
                Gallery,
                Photo,
                PhotoFaces,
                HideRequest,
                ConsentReceipt,
                ApiKey,
                PendingUpload,
                get_user_model(),
                Group,
                DBTaskResult,
            )
        },
    )
    world.secrets = {
        "the access code": Secret(ACCESS_CODE, "owner"),
        "the draft's name": Secret(draft.name, "owner"),
        "the draft's slug": Secret(draft.slug, "owner"),
        "the draft photo's key": Secret(str(draft_photo.key), "owner"),
        "the draft photo's name": Secret(draft_photo.original_filename, "owner"),
        "the unlisted gallery's name": Secret(unlisted.name, "owner"),
        "the unlisted gallery's slug": Secret(unlisted.slug, "owner"),
        "the unlisted photo's key": Secret(str(unlisted_photo.key), "owner"),
        "the unlisted photo's name": Secret(unlisted_photo.original_filename, "owner"),
        "the private gallery's name": Secret(private.name, "owner"),
        "the private gallery's slug": Secret(private.slug, "owner"),
        "the private photo's key": Secret(str(private_photo.key), "owner"),
        "the private photo's name": Secret(private_photo.original_filename, "owner"),
        "the pending photo's key": Secret(str(pending_photo.key), "owner"),
        "the pending photo's name": Secret(pending_photo.original_filename, "owner"),
        "the failed photo's key": Secret(str(failed_photo.key), "owner"),
        "the failed photo's name": Secret(failed_photo.original_filename, "owner"),
        "the failed photo's error": Secret(failed_photo.error, "owner"),
        # Waiting for approval: for those who manage the gallery only, wherever guests look.
        "the guest photo's key": Secret(str(guest_photo.key), "owner"),
        "the guest photo's name": Secret(guest_photo.original_filename, "owner"),
        "the guest photo's uploader": Secret(guest_photo.guest_name, "owner"),
        # A closed gallery is gone for guests: its closed page names it (it was public),
        # but no list holds it and nothing shows its photos.
        "the closed gallery's slug": Secret(closed.slug, "owner"),
        "the closed photo's key": Secret(str(closed_photo.key), "owner"),
        "the closed photo's name": Secret(closed_photo.original_filename, "owner"),
        "the pending upload's key": Secret(str(pending_upload.key), "owner"),
        "the hide request's contact": Secret("guest-hyacinth@example.com", "owner"),
        "the pending upload's name": Secret(pending_upload.original_filename, "owner"),
        "the owner's key prefix": Secret(f"eg_{owner_api_key.prefix}_", "owner"),
        "the owner's key name": Secret(owner_api_key.name, "owner"),
        "the private gallery's guest's name": Secret(FAVOURITE_GUEST_NAME, "owner"),
        "the other's draft name": Secret(others_draft.name, "other"),
        "the other's photo's key": Secret(str(others_photo.key), "other"),
        "the other's pending upload's key": Secret(str(others_pending_upload.key), "other"),
        # Only a hash is kept: no page or answer ever holds a key.
        "the owner's API key": Secret(keys["owner"], "nobody"),
        "the other's API key": Secret(keys["other"], "nobody"),
        "the superuser's API key": Secret(keys["superuser"], "nobody"),
    }
    return world


def forget_world(world: World) -> None:
    for g in (world.public, world.private, world.draft):
        search.forget(g.pk)


def _hide_request(gallery: Gallery, photo: Photo, *, contact: str) -> HideRequest:
    """A guest's request to hide the photo, as the results page makes it, waiting for approval."""
    hide_request = HideRequest.objects.create(
        gallery=gallery, action=Gallery.HideAction.HIDE, status=HideRequest.Status.PENDING, contact=contact
    )
    HideRequestPhoto.objects.create(hide_request=hide_request, photo=photo, face=photo.faces.first())
    return hide_request


def _find_me_results(gallery: Gallery, photo: Photo | None) -> str:
    """The token of a search that found the photo's face, as the search's redirect carries it."""
    matches = (
        [] if photo is None else [PhotoMatch(photo=photo, face=photo.faces.first(), similarity=99.0, is_sure=True)]
    )
    result = SearchResult(matches=matches, faces_in_selfie=1, describe_ms=0, search_ms=0)
    return find_me_results_token(gallery=gallery, result=result)
