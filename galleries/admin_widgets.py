"""Widgets of the galleries' admin."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string

from galleries import files


class CoverPicker(forms.RadioSelect):
    """The gallery's photos as small thumbnails, each with its radio button, and "none"
    first: a cover is picked by looking, not by a file name. Plain radio buttons, so it
    works without JavaScript; the thumbnails load as they scroll into view."""

    template_name = "admin/galleries/widgets/cover_picker.html"

    class Media:
        css = {"all": ["galleries/admin-cover-picker.css"]}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        photo = getattr(value, "instance", None)
        if photo is not None:
            width, height = photo.scaled_size(120)
            option.update(thumb_url=files.photo_url(photo, "thumb"), thumb_width=width, thumb_height=height)
        return option

    def _render(self, template_name, context, renderer=None):
        # The project's templates, not the form renderer's (which knows Django's own only).
        return render_to_string(template_name, context)
