"""The galleries' admin: GalleryAdmin (the organizer's page of a gallery: its settings,
photo upload, sharing, closing) and PhotoAdmin (the photo list, guests' photos to
review). Thin: each action or view checks who may, then calls one service.

What it shows of a gallery or a photo (list columns, read-only fields) is in
admin_columns.py, its forms in admin_forms.py, its widgets in admin_widgets.py; every
organizer sees only their own galleries and photos (admin_access.py).
"""

import copy

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from faces.models import HideRequest
from faces.selectors import gallery_face_counts
from faces.services.indexing import gallery_faces_queue
from galleries import access, share, stats
from galleries.access import access_code_generate
from galleries.admin_access import ManagedByOrganizerAdmin
from galleries.admin_columns import GalleryColumns, PhotoColumns, closing_status, hide_requests_count, thumbnail_html
from galleries.admin_forms import WATERMARK_FIELDS, GalleryForm, WatermarkPreviewForm, address_hint
from galleries.admin_widgets import CoverPicker
from galleries.forms import PhotoUploadForm
from galleries.models import ACCESS_CODE_MIN_LENGTH, Gallery, Photo
from galleries.pipeline_status import gallery_pipeline_status, oldest_waiting_annotation
from galleries.services.closing import GALLERY_EXTEND_DAYS, gallery_closing_extend
from galleries.services.galleries import (
    gallery_delete,
    gallery_save,
    gallery_set_cover,
    gallery_slug_moved_message,
)
from galleries.services.guest_uploads import guest_photos_approve, guest_photos_reject
from galleries.services.photos import (
    DuplicatePhoto,
    StorageUnavailable,
    photo_delete,
    photos_delete,
    photos_upload,
)
from galleries.services.processing import photo_reprocess
from galleries.services.watermark import gallery_watermark_preview
from ops import outages


@admin.register(Gallery)
class GalleryAdmin(GalleryColumns, ManagedByOrganizerAdmin):
    list_display = [
        "name",
        "date",
        "visibility_short",
        "is_published",
        "photos_link",
        "processing",
        "find_me",
        "closing",
    ]
    list_filter = ["is_published", "visibility", "face_search_enabled", "event_date"]
    form = GalleryForm
    actions = ["index_faces", "reindex_faces", "extend_closing"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "event_date"
    readonly_fields = ["created_at", "updated_at", "watermark_preview", "cover_focus"]
    change_form_template = "admin/galleries/gallery/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "event_date",
                    "description",
                    "cover",
                    "cover_focus",
                    "cover_focal_x",
                    "cover_focal_y",
                ]
            },
        ),
        ("Who can see it", {"fields": ["is_published", "visibility", "access_code"]}),
        ("Find me", {"fields": ["face_search_enabled", "hide_requests_apply", "hide_action", "privacy_contact"]}),
        ("Closing", {"fields": ["closes_at"]}),
        ("Downloads", {"fields": ["downloads"]}),
        ("Watermark", {"fields": [*WATERMARK_FIELDS, "watermark_preview"]}),
        ("Guests' photos", {"fields": ["guest_uploads"]}),
        ("Language", {"fields": ["default_language"]}),
        (None, {"fields": ["owner", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    class Media:
        js = ["galleries/admin-slug.js", "galleries/admin-watermark.js", "galleries/admin-focal.js"]
        css = {"all": ["galleries/admin-list.css", "galleries/admin-focal.css"]}

    def scope(self, queryset, user):
        return access.galleries_managed_by(user, queryset)

    def response_post_save_add(self, request, obj):
        # Photos are what a gallery is for: after "Save", straight to the upload box of
        # the new gallery rather than back to the list.
        if not self.has_change_permission(request, obj):
            return super().response_post_save_add(request, obj)
        # No #photo-upload in the address: the page would open below this message.
        messages.info(
            request, format_html('You can add its photos now: <a href="{}">Photos</a>, below.', "#photo-upload")
        )
        return redirect("admin:galleries_gallery_change", obj.pk)

    def get_queryset(self, request):
        # The counts' GROUP BY drops the model's ordering; lists and autocomplete page by it.
        return (
            super()
            .get_queryset(request)
            .with_photo_counts()
            .with_face_counts()
            .annotate(
                oldest_waiting_since=oldest_waiting_annotation(),
                hide_requests_waiting=hide_requests_count(HideRequest.Status.PENDING),
                hide_requests_applied=hide_requests_count(HideRequest.Status.APPLIED),
            )
            .order_by(*Gallery._meta.ordering, "pk")
        )

    def get_readonly_fields(self, request, obj=None):
        # Galleries belong to who made them; only a superuser gives one to someone else.
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "owner"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        cover_field = form.base_fields.get("cover")
        if cover_field is not None:
            cover_field.widget = CoverPicker()  # before the queryset, which hands the widget its choices
            cover_field.queryset = obj.photos.guest_visible().in_display_order() if obj else Photo.objects.none()
            cover_field.label_from_instance = lambda photo: photo.original_filename
        owner_field = form.base_fields.get("owner")
        if owner_field is not None:
            owner_field.queryset = get_user_model().objects.filter(is_staff=True, is_active=True)
        slug_field = form.base_fields.get("slug")
        if slug_field is not None:
            slug_field.help_text = address_hint(request, obj)
        code_field = form.base_fields.get("access_code")
        if code_field is not None:
            code_field.help_text = (
                f"Guests type this to open a private gallery: at least {ACCESS_CODE_MIN_LENGTH} characters, "
                "capitals or not. A new gallery comes with a random one; change it if you like."
            )
        return form

    def get_changeform_initial_data(self, request):
        # A ready-made access code, so that making a gallery private needs no invention.
        return {
            "access_code": access_code_generate(),
            **super().get_changeform_initial_data(request),
            "owner": request.user.pk,
        }

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            if not change:
                obj.owner = request.user
            elif "owner" in form.changed_data:  # never: the field is read-only for them
                raise PermissionDenied
        elif not change and obj.owner_id is None:
            obj.owner = request.user
        asked_slug = form.data.get("slug")
        if "slug" in form.changed_data and obj.slug != asked_slug:
            messages.info(request, gallery_slug_moved_message(asked=asked_slug, given=obj.slug))
        saved = gallery_save(gallery=obj, changed=form.changed_data)
        if saved.redrawn:
            messages.info(request, f"The watermark changed: {saved.redrawn} photo(s) queued to be drawn again with it.")
        if saved.face_search_queued is not None:
            messages.info(request, f"Find me is on: {saved.face_search_queued} photo(s) queued for face indexing.")
        if saved.face_data_deleted:
            messages.info(request, "Find me is off: the gallery's face data was deleted.")
        if saved.closed:
            messages.info(request, "The gallery has closed: Find me is off and its face data was deleted.")

    @admin.action(description="Index faces of new photos (Find me)")
    def index_faces(self, request, queryset):
        count = sum(gallery_faces_queue(gallery=g) for g in queryset.filter(face_search_enabled=True))
        self.message_user(request, f"{count} photo(s) queued for face indexing.", messages.SUCCESS)

    @admin.action(description="Index all faces again (Find me)")
    def reindex_faces(self, request, queryset):
        count = sum(gallery_faces_queue(gallery=g, reindex=True) for g in queryset.filter(face_search_enabled=True))
        self.message_user(request, f"{count} photo(s) queued for face indexing.", messages.SUCCESS)

    @admin.action(description=f"Extend the closing date by {GALLERY_EXTEND_DAYS} days")
    def extend_closing(self, request, queryset):
        extended = sum(gallery_closing_extend(gallery=gallery) for gallery in queryset)
        skipped = queryset.count() - extended
        message = f"{extended} gallery(ies) now close {GALLERY_EXTEND_DAYS} days later."
        if skipped:
            message += f" {skipped} without a closing date left as they are."
        self.message_user(request, message, messages.SUCCESS)

    def delete_model(self, request, obj):
        gallery_delete(gallery=obj)

    def delete_queryset(self, request, queryset):
        for gallery in queryset:
            gallery_delete(gallery=gallery)

    def get_urls(self):
        return [
            path(
                "<int:gallery_id>/upload/",
                self.admin_site.admin_view(self.upload_view),
                name="galleries_gallery_upload",
            ),
            path(
                "<int:gallery_id>/extend-closing/",
                self.admin_site.admin_view(self.extend_closing_view),
                name="galleries_gallery_extend_closing",
            ),
            path(
                "<int:gallery_id>/watermark-preview.jpg",
                self.admin_site.admin_view(self.watermark_preview_view),
                name="galleries_gallery_watermark_preview",
            ),
            path(
                "<int:gallery_id>/share/qr.svg",
                self.admin_site.admin_view(self.qr_svg_view),
                name="galleries_gallery_qr_svg",
            ),
            path(
                "<int:gallery_id>/share/qr.png",
                self.admin_site.admin_view(self.qr_png_view),
                name="galleries_gallery_qr_png",
            ),
            path(
                "<int:gallery_id>/share/card/<str:size>/",
                self.admin_site.admin_view(self.share_card_view),
                name="galleries_gallery_share_card",
            ),
            path(
                "<int:gallery_id>/share/sheet/",
                self.admin_site.admin_view(self.share_sheet_view),
                name="galleries_gallery_share_sheet",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        gallery = self.get_object(request, object_id)
        if gallery is not None:
            photos_url = (
                reverse("admin:galleries_photo_changelist") + "?" + urlencode({"gallery__id__exact": gallery.pk})
            )
            extra_context.update(
                share_links=[
                    ("QR code (SVG)", reverse("admin:galleries_gallery_qr_svg", args=[gallery.pk]) + "?download=1"),
                    ("QR code (PNG)", reverse("admin:galleries_gallery_qr_png", args=[gallery.pk]) + "?download=1"),
                    ("Table card A6", reverse("admin:galleries_gallery_share_card", args=[gallery.pk, "a6"])),
                    ("Table card A5", reverse("admin:galleries_gallery_share_card", args=[gallery.pk, "a5"])),
                    ("4 A6 cards on A4", reverse("admin:galleries_gallery_share_sheet", args=[gallery.pk])),
                ],
                closing_status=closing_status(gallery),
                extend_closing_url=reverse("admin:galleries_gallery_extend_closing", args=[gallery.pk]),
                extend_days=GALLERY_EXTEND_DAYS,
                face_counts=gallery_face_counts(gallery=gallery),
                upload_form=PhotoUploadForm(),
                upload_url=reverse("admin:galleries_gallery_upload", args=[gallery.pk]),
                pipeline=gallery_pipeline_status(gallery=gallery),
                overview=stats.gallery_overview(gallery=gallery),
                favourites_csv_url=reverse("favourites_csv", args=[gallery.pk]),
                favourites_lightroom_url=reverse("favourites_lightroom", args=[gallery.pk]),
                # Sorted by the photo list's hearts column (the 3rd, after the checkbox), most first.
                favourite_photos_url=photos_url + "&o=-3",
                photos_url=photos_url,
                failed_photos_url=photos_url + "&" + urlencode({"status__exact": Photo.Status.FAILED}),
                review_photos_url=photos_url + "&" + urlencode({"review__exact": Photo.Review.PENDING}),
                recent_photos=[
                    {"photo": photo, "thumbnail": thumbnail_html(photo, 64)}
                    for photo in gallery.photos.order_by("-created_at", "-id")[:12]
                ],
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def extend_closing_view(self, request, gallery_id):
        """The change page's "extend" button: POST only, for the organizer's own galleries."""
        gallery = get_object_or_404(access.galleries_managed_by(request.user), pk=gallery_id)
        if request.method != "POST":
            return redirect("admin:galleries_gallery_change", gallery.pk)
        if not self.has_change_permission(request, gallery):
            raise PermissionDenied
        if gallery_closing_extend(gallery=gallery):
            messages.success(request, f"The gallery now {closing_status(gallery)}.")
        else:
            messages.info(request, "The gallery has no closing date: there is nothing to extend.")
        return redirect("admin:galleries_gallery_change", gallery.pk)

    def _shared_gallery(self, request, gallery_id) -> Gallery:
        """The organizer's own gallery (the admin's scope), else not found."""
        gallery = get_object_or_404(self.get_queryset(request), pk=gallery_id)
        if not self.has_view_permission(request, gallery):
            raise PermissionDenied
        return gallery

    def watermark_preview_view(self, request, gallery_id):
        """The gallery's first photo at middle size with its watermark: as saved, or with
        the settings of the query (the change form's, as they are typed) when they are valid."""
        gallery = self._shared_gallery(request, gallery_id)
        if request.GET:
            # A copy: the form writes the valid fields into its instance even when others are not.
            asked = WatermarkPreviewForm(request.GET, instance=copy.copy(gallery))
            if asked.is_valid():
                gallery = asked.instance
        response = HttpResponse(gallery_watermark_preview(gallery=gallery), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-cache"
        return response

    def qr_svg_view(self, request, gallery_id):
        gallery = self._shared_gallery(request, gallery_id)
        response = HttpResponse(share.qr_svg(share.gallery_share_url(request, gallery)), content_type="image/svg+xml")
        # Shown on the printable cards too: a download only when asked for.
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{gallery.slug}-qr.svg"'
        return response

    def qr_png_view(self, request, gallery_id):
        gallery = self._shared_gallery(request, gallery_id)
        response = HttpResponse(share.qr_png(share.gallery_share_url(request, gallery)), content_type="image/png")
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{gallery.slug}-qr.png"'
        return response

    def share_card_view(self, request, gallery_id, size):
        if size not in share.CARD_SIZES:
            raise Http404
        gallery = self._shared_gallery(request, gallery_id)
        return render(
            request,
            "admin/galleries/gallery/share_card.html",
            {
                "card": share.gallery_share_card(request, gallery),
                "cover": share.gallery_card_cover(gallery),
                "cards": [None],
                "size": size,
                "qr_url": reverse("admin:galleries_gallery_qr_svg", args=[gallery.pk]),
            },
        )

    def share_sheet_view(self, request, gallery_id):
        gallery = self._shared_gallery(request, gallery_id)
        return render(
            request,
            "admin/galleries/gallery/share_card.html",
            {
                "card": share.gallery_share_card(request, gallery),
                "cover": share.gallery_card_cover(gallery),
                "cards": [None] * 4,
                "size": "sheet",
                "qr_url": reverse("admin:galleries_gallery_qr_svg", args=[gallery.pk]),
            },
        )

    def upload_view(self, request, gallery_id):
        """Takes one or many files. The drag-and-drop uploader sends one file per
        request and reads JSON; the plain form posts them all and is redirected."""
        gallery = get_object_or_404(access.galleries_managed_by(request.user), pk=gallery_id)
        if request.method != "POST":
            return redirect("admin:galleries_gallery_change", gallery.pk)
        if not self.has_change_permission(request, gallery):
            raise PermissionDenied
        wants_json = "application/json" in request.headers.get("Accept", "")
        uploads = request.FILES.getlist("photos")
        results = []
        storage_away = False
        for outcome in photos_upload(gallery=gallery, uploads=uploads):
            if exc := outcome.error:
                storage_away = storage_away or isinstance(exc, StorageUnavailable)
                results.append(
                    {
                        "name": outcome.filename,
                        "ok": False,
                        "duplicate": isinstance(exc, DuplicatePhoto),
                        "message": str(exc),
                    }
                )
            else:
                results.append(
                    {
                        "name": outcome.filename,
                        "ok": True,
                        "key": str(outcome.photo.key),
                        "message": "Uploaded; processing.",
                    }
                )
        if wants_json:
            status = 200 if uploads and all(r["ok"] for r in results) else 400
            if not uploads:
                results.append({"name": "", "ok": False, "message": "Choose at least one photo."})
            if storage_away:
                # Not the file's fault: the uploader may send it again in a while.
                status = 503
            response = JsonResponse({"results": results}, status=status)
            if storage_away:
                response["Retry-After"] = str(outages.RETRY_AFTER_S)
            return response

        accepted = [r for r in results if r["ok"]]
        if accepted:
            messages.success(
                request,
                f"{len(accepted)} photo{'s' if len(accepted) != 1 else ''} uploaded; processing in the background.",
            )
        for result in results:
            if not result["ok"]:
                messages.error(request, f"{result['name']}: {result['message']}")
        if not uploads:
            messages.error(request, "Choose at least one photo.")
        return redirect("admin:galleries_gallery_change", gallery.pk)


@admin.register(Photo)
class PhotoAdmin(PhotoColumns, ManagedByOrganizerAdmin):
    list_display = [
        "thumbnail_preview",
        "original_filename",
        "favourite_count",
        "gallery",
        "status",
        "guests_see",
        "error",
        "taken_at",
        "created_at",
    ]
    list_display_links = ["thumbnail_preview", "original_filename"]
    # Only the galleries the list holds: never the names of other organizers' galleries.
    # "Review: waiting for approval" is the queue of guests' photos to approve or reject.
    list_filter = [
        "status",
        "review",
        "uploaded_by_guest",
        "hidden",
        "faces_blurred",
        ("gallery", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["gallery"]
    search_fields = ["original_filename", "gallery__name"]
    list_per_page = 60

    class Media:
        css = {"all": ["galleries/admin-photo-list.css"]}

    actions = ["approve_guest_photos", "reject_guest_photos", "make_cover", "reprocess"]
    readonly_fields = [
        "large_preview",
        "faces",
        "gallery",
        "original_filename",
        "status",
        "guests_see",
        "error",
        "format",
        "width",
        "height",
        "file_size",
        "taken_at",
        "camera_make",
        "camera_model",
        "review",
        "uploaded_by_guest",
        "guest_name",
        "content_hash",
        "derivatives",
        "key",
        "created_at",
        "processed_at",
    ]
    fields = readonly_fields

    def scope(self, queryset, user):
        return access.photos_managed_by(user, queryset)

    def get_queryset(self, request):
        # The count's GROUP BY drops the model's ordering; lists and autocomplete page by it.
        return (
            super()
            .get_queryset(request)
            .annotate(favourite_count=Count("favourites"))
            .order_by(*Photo._meta.ordering, "pk")
        )

    def has_add_permission(self, request):
        return False  # photos arrive through the gallery's upload or import_photos

    @admin.action(description="Use as the gallery's cover")
    def make_cover(self, request, queryset):
        for photo in queryset.select_related("gallery"):
            gallery_set_cover(gallery=photo.gallery, photo=photo)
        self.message_user(request, "Cover updated.", messages.SUCCESS)

    @admin.action(description="Approve guests' photos: show them in the gallery")
    def approve_guest_photos(self, request, queryset):
        self._review_guest_photos(request, queryset, guest_photos_approve, "approved: guests see them once processed")

    @admin.action(description="Reject guests' photos: delete them")
    def reject_guest_photos(self, request, queryset):
        self._review_guest_photos(request, queryset, guest_photos_reject, "rejected and deleted")

    def _review_guest_photos(self, request, queryset, review, done: str) -> None:
        total = queryset.count()
        count = review(photos=queryset)
        message = f"{count} guest photo(s) {done}."
        if total > count:
            message += f" {total - count} already shown or not from a guest left as they were."
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description="Process again")
    def reprocess(self, request, queryset):
        count = photo_reprocess(photos=queryset)
        self.message_user(request, f"{count} photo(s) queued for processing.", messages.SUCCESS)

    def delete_model(self, request, obj):
        photo_delete(photo=obj)

    def delete_queryset(self, request, queryset):
        photos_delete(photos=queryset)
