from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from faces import consent, privacy
from faces.models import ConsentReceipt, HideRequest, PhotoFaces
from faces.services.indexing import photo_faces_queue
from galleries import access, files
from galleries.admin_access import ManagedByOrganizerAdmin

_CROP_PX = 72


def face_crops_html(photo) -> str:
    """Each face of the photo cut out of its display image with CSS (no files made)."""
    faces = list(photo.faces.all())
    if not faces:
        return "No faces found." if hasattr(photo, "face_index") else "Not indexed."
    url = files.photo_url(photo, "display") if photo.is_ready else ""
    return format_html_join(
        "",
        '<span title="{}% sure" style="display:inline-block;width:{}px;height:{}px;margin:0 6px 6px 0;'
        "border-radius:4px;background:#ddd url('{}') no-repeat;background-size:{}% {}%;"
        'background-position:{}% {}%"></span>',
        (
            (
                round(face.confidence),
                _CROP_PX,
                _CROP_PX,
                url,
                *_crop_css(face.box_left, face.box_top, face.box_width, face.box_height),
            )
            for face in faces
        ),
    )


def _crop_css(left: float, top: float, width: float, height: float) -> tuple[float, float, float, float]:
    # The image is scaled so that the face fills the box; background-position in
    # percent places the point at that fraction of the free space.
    width, height = max(width, 1e-3), max(height, 1e-3)
    x = 100 * left / (1 - width) if width < 1 else 0
    y = 100 * top / (1 - height) if height < 1 else 0
    return round(100 / width, 2), round(100 / height, 2), round(x, 2), round(y, 2)


@admin.register(PhotoFaces)
class PhotoFacesAdmin(ManagedByOrganizerAdmin):
    list_display = ["photo_link", "gallery", "status", "face_count", "error", "indexed_at"]
    list_filter = ["status", ("gallery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["photo", "gallery"]
    search_fields = ["photo__original_filename", "gallery__name"]
    list_per_page = 60
    actions = ["index_again"]
    readonly_fields = ["photo_link", "gallery", "status", "engine", "face_count", "error", "indexed_at", "faces"]
    fields = readonly_fields

    def scope(self, queryset, user):
        return access.of_managed_galleries(queryset, user)

    def has_add_permission(self, request):
        return False

    @admin.display(description="Photo")
    def photo_link(self, photo_faces):
        url = reverse("admin:galleries_photo_change", args=[photo_faces.photo_id])
        return format_html('<a href="{}">{}</a>', url, photo_faces.photo.original_filename)

    @admin.display(description="Faces")
    def faces(self, photo_faces):
        return face_crops_html(photo_faces.photo)

    @admin.action(description="Index the faces again")
    def index_again(self, request, queryset):
        count = sum(photo_faces_queue(photo=pf.photo) for pf in queryset.select_related("photo"))
        self.message_user(request, f"{count} photo(s) queued for face indexing.", messages.SUCCESS)


@admin.register(HideRequest)
class HideRequestAdmin(ManagedByOrganizerAdmin):
    """Guests' requests to hide photos of them: the organizer approves them (hiding the
    photos or blurring the face), rejects them, or undoes them. Every action goes
    through faces/privacy.py, which keeps what guests see in line."""

    list_display = [
        "created_at",
        "gallery",
        "photo_count",
        "action",
        "status",
        "applied_at_once",
        "contact",
        "decided_at",
    ]
    ordering = ["-created_at", "-id"]  # the count's GROUP BY leaves the model's ordering out
    list_filter = ["status", "action", "applied_at_once", ("gallery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["gallery"]
    search_fields = ["gallery__name", "contact"]
    actions = ["apply_hide", "apply_blur", "reject", "undo"]
    readonly_fields = [
        "gallery",
        "created_at",
        "action",
        "status",
        "applied_at_once",
        "decided_at",
        "contact",
        "photos",
        "deciding",
    ]
    fields = readonly_fields

    def scope(self, queryset, user):
        return access.of_managed_galleries(queryset, user)

    def has_add_permission(self, request):
        return False  # made by guests, from their Find me results

    def lookup_allowed(self, lookup, value, request=None):
        # The photo page's "requests, undo" link: within the organizer's own requests.
        return lookup == "entries__photo" or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description="Photos", ordering="entry_count")
    def photo_count(self, hide_request):
        return hide_request.entry_count

    @admin.display(description="Photos")
    def photos(self, hide_request):
        entries = hide_request.entries.select_related("photo")
        return format_html_join(
            "",
            '<a href="{}" title="{}" style="display:inline-block;margin:0 6px 6px 0">{}</a>',
            (
                (
                    reverse("admin:galleries_photo_change", args=[entry.photo_id]),
                    _entry_title(entry),
                    _entry_thumbnail(entry.photo),
                )
                for entry in entries
            ),
        )

    @admin.display(description="Deciding")
    def deciding(self, hide_request):
        url = reverse("admin:faces_hiderequest_changelist")
        return format_html(
            'In <a href="{}">the list of requests</a>, tick this one and choose an action: approve by hiding '
            "the photos or by blurring the guest's face, reject, or undo.",
            url,
        )

    def _decide(self, request, queryset, decide, done: str):
        count = 0
        for hide_request in queryset.select_related("gallery"):
            decide(hide_request)
            count += 1
        self.message_user(request, f"{count} request(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve: hide the photos from guests", permissions=["change"])
    def apply_hide(self, request, queryset):
        self._decide(
            request, queryset, lambda r: privacy.hide_request_apply(hide_request=r, action="hide"), "applied: hidden"
        )

    @admin.action(description="Approve: blur the guest's face in the photos", permissions=["change"])
    def apply_blur(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda r: privacy.hide_request_apply(hide_request=r, action="blur"),
            "applied: the faces are being blurred",
        )

    @admin.action(description="Reject", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(
            request,
            queryset.filter(status=HideRequest.Status.PENDING),
            lambda r: privacy.hide_request_undo(hide_request=r, reject=True),
            "rejected",
        )

    @admin.action(description="Undo: show the photos to guests again", permissions=["change"])
    def undo(self, request, queryset):
        self._decide(
            request,
            queryset.filter(status=HideRequest.Status.APPLIED),
            lambda r: privacy.hide_request_undo(hide_request=r),
            "undone",
        )

    def delete_model(self, request, obj):
        privacy.hide_request_delete(hide_request=obj)

    def delete_queryset(self, request, queryset):
        for hide_request in queryset:
            privacy.hide_request_delete(hide_request=hide_request)


def _entry_title(entry) -> str:
    return f"{entry.photo.original_filename}: " + (
        "face known" if entry.face_id else "no face to blur (hidden instead)"
    )


def _entry_thumbnail(photo) -> str:
    if not photo.is_ready:
        return photo.original_filename
    return format_html(
        '<img src="{}" alt="{}" style="max-width:96px;max-height:96px;border-radius:4px">',
        files.photo_url(photo, "thumb"),
        photo.original_filename,
    )


@admin.register(ConsentReceipt)
class ConsentReceiptAdmin(ManagedByOrganizerAdmin):
    """Receipts of Find me's consent, one a search: read-only, and exported as CSV."""

    list_display = ["created_at", "gallery", "policy_version"]
    list_filter = [("gallery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["gallery"]
    actions = ["export_csv"]
    date_hierarchy = "created_at"

    def scope(self, queryset, user):
        return access.of_managed_galleries(queryset, user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected receipts as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(consent.consent_receipts_csv(receipts=queryset), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="consent-receipts.csv"'
        return response
