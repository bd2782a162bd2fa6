from django import template

from galleries.contact import contact_href as _contact_href

register = template.Library()


@register.filter
def contact_href(contact: str) -> str:
    """The link of an organizer's contact (galleries/contact.py), "" when it is not an address."""
    return _contact_href(contact or "") or ""
