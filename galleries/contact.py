"""How a guest reaches a gallery's organizers.

- The contact is the gallery's privacy contact, else its owner's email address, else
  none: a page then says nothing of asking anyone.
- A contact is free text (an email address, a phone number, a web address, a name):
  it is a link only when it is one of the first three, so that nothing that is not an
  address is ever made one.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from galleries.models import Gallery

_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/]{4,}[0-9]")


def gallery_contact(*, gallery: Gallery) -> str:
    """The organizers' contact for the guests of `gallery`, "" when there is none."""
    contact = gallery.privacy_contact.strip()
    if contact:
        return contact
    return gallery.owner.email.strip() if gallery.owner_id is not None else ""


def contact_href(contact: str) -> str | None:
    """The link of a contact: mailto: for an email address, tel: for a phone number,
    the address itself for a web address; None for anything else."""
    contact = contact.strip()
    try:
        validate_email(contact)
    except ValidationError:
        pass
    else:
        return f"mailto:{contact}"
    if _PHONE.fullmatch(contact):
        return "tel:" + re.sub(r"[^0-9+]", "", contact)
    if contact.lower().startswith(("https://", "http://")):
        try:
            URLValidator(schemes=["http", "https"])(contact)
        except ValidationError:
            return None
        return contact
    return None
