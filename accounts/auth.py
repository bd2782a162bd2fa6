import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import services


class OrganizerOIDCBackend(OIDCAuthenticationBackend):
    """Signs organizers in with OpenID Connect's authorization code flow.

    mozilla-django-oidc exchanges the code, checks the ID token's signature (the
    provider's JWKS), expiry and nonce, and reads the userinfo endpoint; who may sign
    in, and as which account, is accounts.services' decision. SignInRefused goes up
    to the callback view, which shows its message."""

    def authenticate(self, request, **kwargs):
        # Only the callback view, which passes the nonce it kept, signs in through the
        # provider: the admin's password form on a URL with ?code=&state= must not.
        if "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_token(self, payload):
        if settings.OIDC_REDIRECT_URI:
            payload["redirect_uri"] = settings.OIDC_REDIRECT_URI
        return super().get_token(payload)

    def verify_token(self, token, **kwargs):
        try:
            payload = super().verify_token(token, **kwargs)
        except (jwt.InvalidTokenError, jwt.PyJWKError) as exc:
            # The library turns only malformed tokens into SuspiciousOperation; an
            # expired one, or a JWKS it cannot read, would be a server error.
            raise SuspiciousOperation(f"The ID token is not valid: {exc}")
        # The library checks neither whom the token is for nor who made it.
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is for another client.")
        if settings.OIDC_OP_ISSUER and payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation(f"The ID token was issued by {payload.get('iss')!r}.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: userinfo must be about the ID token's subject.
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo response is about another subject than the ID token.")
        return services.organizer_sign_in(claims={**payload, **claims})
