from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from faces import services
from faces.models import PhotoFaces
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
        from django.urls import reverse

        url = reverse("admin:galleries_photo_change", args=[photo_faces.photo_id])
        return format_html('<a href="{}">{}</a>', url, photo_faces.photo.original_filename)

    @admin.display(description="Faces")
    def faces(self, photo_faces):
        return face_crops_html(photo_faces.photo)

    @admin.action(description="Index the faces again")
    def index_again(self, request, queryset):
        count = sum(services.photo_faces_queue(photo=pf.photo) for pf in queryset.select_related("photo"))
        self.message_user(request, f"{count} photo(s) queued for face indexing.", messages.SUCCESS)
