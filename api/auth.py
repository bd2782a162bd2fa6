"""API keys on requests: `Authorization: Bearer <key>`."""

from dataclasses import dataclass

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from api.models import ApiKey
from api.services import api_key_authenticate


@dataclass(frozen=True)
class Caller:
    """Who sent a request: an organizer's key, or no key at all."""

    api_key: ApiKey | None = None

    @property
    def user(self):
        return self.api_key.user if self.api_key else None


class ApiKeyAuth(HttpBearer):
    """Writes need a key (required=True); reads take one if given. A key that is
    malformed, unknown or revoked is refused either way, never read as no key."""

    def __init__(self, *, required: bool):
        super().__init__()
        self.required = required

    def __call__(self, request: HttpRequest) -> Caller | None:
        header = request.headers.get("Authorization")
        if header is None:
            if self.required:
                raise AuthenticationError(message="This needs an API key: send Authorization: Bearer <key>.")
            return Caller()
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationError(message="Send the API key as Authorization: Bearer <key>.")
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        api_key = api_key_authenticate(key=token)
        if api_key is None:
            raise AuthenticationError(message="This API key is not valid (unknown or revoked).")
        return Caller(api_key=api_key)


key_required = ApiKeyAuth(required=True)
key_optional = ApiKeyAuth(required=False)
