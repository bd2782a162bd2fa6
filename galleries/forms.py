from django import forms
from django.utils.translation import gettext_lazy as _


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Access code"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "autofocus": True}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, (list, tuple)):
            return [single_clean(item, initial) for item in data]
        return [single_clean(data, initial)]


class PhotoUploadForm(forms.Form):
    photos = MultipleFileField(
        label="Photos",
        widget=MultipleFileInput(attrs={"accept": "image/*,.heic,.heif"}),
        help_text="JPEG, PNG, WebP, HEIC, GIF or TIFF. Choose as many as you like.",
    )


class GuestUploadForm(forms.Form):
    """A guest's upload: their name (optional, remembered on the device) and the files,
    which the view takes one by one for a message each."""

    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=80,
        required=False,
        strip=True,
        help_text=_("Shown with your photos. Remembered on this device."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "enterkeyhint": "done"}),
    )
    photos = MultipleFileField(
        label=_("Choose photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,.heic,.heif"}),
    )
