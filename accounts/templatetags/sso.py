from django import template
from django.conf import settings

from accounts.services import sso_enabled

register = template.Library()


@register.inclusion_tag("accounts/_sso_button.html", takes_context=True)
def sso_button(context):
    """The admin login page's "Sign in with <provider>" button, when single sign-on is on."""
    return {
        "enabled": sso_enabled(),
        "provider_name": settings.OIDC_PROVIDER_NAME,
        "next": context.get("next", ""),
    }
