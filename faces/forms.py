from django import forms
from django.utils.translation import gettext_lazy as _


class SelfieForm(forms.Form):
    """One selfie, and the guest's consent the first time they search."""

    consent = forms.BooleanField(
        label=_("I agree: use my selfie for this search only, and do not keep it."),
        error_messages={"required": _("Please tick the box to agree before we use your selfie.")},
    )
    selfie = forms.FileField(
        label=_("Your selfie"),
        # Phones open the front camera at once; computers show a file picker.
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "user"}),
        error_messages={
            "required": _("Take a selfie (or choose a photo of yourself) first."),
            "empty": _("That file is empty. Take a selfie (or choose a photo of yourself) again."),
        },
    )

    def __init__(self, *args, consent_given: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if consent_given:
            del self.fields["consent"]


class NotMeForm(forms.Form):
    """ "That's not me": the results (their token) and the photo to leave out of them."""

    r = forms.CharField(max_length=8192)
    photo = forms.CharField(max_length=64)
