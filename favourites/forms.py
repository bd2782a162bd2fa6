from django import forms
from django.utils.translation import gettext_lazy as _

from favourites.services import GUEST_NAME_MAX_LENGTH


class FavouriteForm(forms.Form):
    # "1": a favourite, "0": no longer. A state rather than a toggle: a form sent twice,
    # or a script's retry, leaves the photo as the guest meant.
    favourite = forms.TypedChoiceField(choices=[("1", "yes"), ("0", "no")], coerce=lambda value: value == "1")


class GuestNameForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=GUEST_NAME_MAX_LENGTH,
        required=False,
        strip=True,
        help_text=_("Optional: so that the photographer knows whose favourites these are."),
    )
