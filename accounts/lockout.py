"""The admin log-in's throttle (django-axes; eventgallery/settings.py sets it up).

Wrong passwords are counted per username and address together, so that one person
guessing from a venue's or an office's address locks out only that username from
there, not everyone behind the address. The address is the one ops.ratelimits reads
(TRUSTED_PROXY_COUNT). Single sign-on is not counted: the provider checks the
password, and its callback can only be reached with a code it issued.
"""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

from accounts.services import sso_enabled


def is_single_sign_on(request, credentials) -> bool:
    """AXES_WHITELIST_CALLABLE: the OpenID Connect callback authenticates with a code
    and a nonce, never a username."""
    return not (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)


def locked_out_page(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the admin's look, what happened and until when (429)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60)
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get("username", "")
    response = render(
        request,
        "admin/locked_out.html",
        {
            **admin.site.each_context(request),
            "title": "Too many failed sign-ins",
            "username": username,
            "failure_limit": get_failure_limit(request, credentials),
            "minutes": minutes,
            "sso_enabled": sso_enabled(),
            "provider_name": settings.OIDC_PROVIDER_NAME,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
