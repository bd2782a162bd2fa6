from django import template

from favourites.models import Favourite
from favourites.services import guest_key
from ops.ratelimits import device_id

register = template.Library()


@register.simple_tag(takes_context=True)
def is_favourite(context, photo) -> bool:
    """Has this device hearted the photo: for pages made for one visitor (the photo
    page), never for the cached gallery page."""
    device = device_id(context["request"], issue=False)
    if device is None:
        return False
    return Favourite.objects.filter(photo=photo, guest=guest_key(device=device)).exists()
