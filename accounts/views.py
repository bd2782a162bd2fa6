import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.services import SignInRefused, sso_enabled

logger = logging.getLogger(__name__)


class SignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and PKCE kept in the session."""

    def get(self, request):
        if not sso_enabled():
            raise Http404
        return super().get(request)

    def get_extra_params(self, request):
        params = dict(super().get_extra_params(request))
        if settings.OIDC_REDIRECT_URI:
            params["redirect_uri"] = settings.OIDC_REDIRECT_URI
        return params


class SignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: signs in, or back to the admin's
    login page with the reason."""

    def get(self, request):
        if not sso_enabled():
            raise Http404
        try:
            return super().get(request)
        except SignInRefused as refusal:
            logger.info("Single sign-on refused: %s", refusal)
            return self._back_to_login(str(refusal))
        except SuspiciousOperation as exc:
            # A state this browser did not start (a forged or replayed callback), or a
            # token that fails its checks.
            logger.warning("Single sign-on could not be verified: %s", exc)
            return self._back_to_login("The sign-in could not be verified. Please try again.")
        except requests.RequestException as exc:
            logger.warning("Single sign-on: the provider failed: %s", exc)
            return self._back_to_login(f"{settings.OIDC_PROVIDER_NAME} did not complete the sign-in. Please try again.")

    @property
    def success_url(self):
        return self.request.session.get("oidc_login_next") or reverse("admin:index")

    def login_failure(self):
        return self._back_to_login(f"Signing in with {settings.OIDC_PROVIDER_NAME} did not succeed.")

    def _back_to_login(self, message):
        messages.error(self.request, message)
        return redirect("admin:login")


def admin_logout(request):
    """The admin's logout, followed by the provider's when an end-session endpoint
    is set and the organizer came through single sign-on."""
    id_token = request.session.get("oidc_id_token")
    response = admin.site.admin_view(admin.site.logout)(request)
    if settings.OIDC_OP_END_SESSION_ENDPOINT and id_token and not request.user.is_authenticated:
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("admin:login")),
            }
        )
        return redirect(f"{settings.OIDC_OP_END_SESSION_ENDPOINT}?{query}")
    return response
