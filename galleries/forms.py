from django import forms


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label="Access code",
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
