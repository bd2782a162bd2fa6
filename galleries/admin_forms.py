"""The forms of the galleries' admin: the gallery's change form, the watermark preview's,
and the slug's help that shows the whole address.

Fields a form is sent without (a page opened before they existed, a script) keep what
they were; a taken slug gets a suffix rather than an error (galleries.services.galleries.gallery_free_slug),
which would tell an organizer that another organizer's gallery lives there.
"""

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.html import format_html

from galleries import watermark
from galleries.models import Gallery
from galleries.services.galleries import gallery_free_slug


def address_hint(request, gallery) -> str:
    """The slug's help: the gallery's whole address, its slug part marked for the admin's
    script (static/galleries/admin-slug.js) to follow as the slug is typed or filled in
    from the name. Without the script it shows the saved address, or the form of one."""
    placeholder = "slug"
    prefix = request.build_absolute_uri(reverse("galleries:detail", args=[placeholder])).removesuffix(f"{placeholder}/")
    slug = gallery.slug if gallery is not None else ""
    return format_html(
        'The gallery\'s address: <code class="gallery-address">{}<span class="gallery-address-slug" '
        'data-placeholder="{}">{}</span>/</code>. Letters, digits and hyphens.',
        prefix,
        placeholder,
        slug or placeholder,
    )


WATERMARK_FIELDS = [
    "watermark",
    "watermark_text",
    "watermark_logo",
    "watermark_position",
    "watermark_opacity",
    "watermark_size",
]


class GalleryForm(forms.ModelForm):
    class Meta:
        model = Gallery
        fields = [
            "name",
            "slug",
            "event_date",
            "description",
            "cover",
            "cover_focal_x",
            "cover_focal_y",
            "is_published",
            "visibility",
            "access_code",
            "face_search_enabled",
            "hide_requests_apply",
            "hide_action",
            "privacy_contact",
            "closes_at",
            "downloads",
            *WATERMARK_FIELDS,
            "guest_uploads",
            "default_language",
            "owner",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form sent without the policy (a page opened before it existed, a script)
        # leaves it as it was: the default for a new gallery, the gallery's own otherwise;
        # the same for the watermark's, the hide requests' and the guest uploads' settings.
        for name in (
            "downloads",
            "watermark",
            "watermark_position",
            "watermark_opacity",
            "watermark_size",
            "hide_requests_apply",
            "hide_action",
            "guest_uploads",
        ):
            self.fields[name].required = False

    def clean_watermark_logo(self):
        """A new logo is stored as the PNG galleries/watermark.py makes of it, never as
        uploaded; a file that cannot be one is refused here, before anything is stored."""
        logo = self.cleaned_data.get("watermark_logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged, cleared (False) or none
        try:
            return ContentFile(watermark.logo_normalise(logo), name="logo.png")
        except watermark.LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        # A point set for the cover before is not this cover's: another cover starts from its faces.
        focal_fields = ("cover_focal_x", "cover_focal_y")
        if "cover" in self.changed_data and not any(name in self.changed_data for name in focal_fields):
            cleaned["cover_focal_x"] = cleaned["cover_focal_y"] = None
        if (cleaned.get("cover_focal_x") is None) != (cleaned.get("cover_focal_y") is None):
            self.add_error("cover_focal_y", "Give both numbers of the focal point, or neither.")
        return cleaned

    def clean_hide_requests_apply(self):
        return self.cleaned_data["hide_requests_apply"] or self.instance.hide_requests_apply

    def clean_hide_action(self):
        return self.cleaned_data["hide_action"] or self.instance.hide_action

    def clean_slug(self):
        # A taken address gets a suffix rather than an error, which would tell an
        # organizer that some other organizer's gallery lives there.
        return gallery_free_slug(self.cleaned_data["slug"], exclude=self.instance)


class WatermarkPreviewForm(forms.ModelForm):
    """The watermark's settings of the change form, for its preview; the logo is the saved one."""

    class Meta:
        model = Gallery
        fields = ["watermark", "watermark_text", "watermark_position", "watermark_opacity", "watermark_size"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False  # one left out of the query stays as saved

    def clean(self):
        cleaned = super().clean()
        # "Logo image" picked before a logo is saved (the change form's script asks as
        # soon as it is picked): the preview shows the photo without a mark.
        if cleaned.get("watermark") == Gallery.Watermark.LOGO and not self.instance.watermark_logo:
            cleaned["watermark"] = Gallery.Watermark.NONE
        return cleaned
