"""The Content-Security-Policy's sources that depend on other settings.

The policy itself is the CONTENT_SECURITY_POLICY block of settings.py (django-csp).
Two of its sources follow from other settings, and are added here to every response:

- img-src: the origin of the photo store when it is a bucket. Pages link S3's signed
  URLs straight to the bucket, whose origin depends on the endpoint, a custom domain
  and the addressing style (virtual host or path): it is taken from a URL the storage
  itself makes, unsigned and offline, so it is the origin of the real ones.
- form-action: the origin of single sign-on's end-session endpoint, where the admin's
  logout form is redirected (form-action applies to a form's redirects too).

Both are read from the settings at each response, so tests that switch the storage
(the `s3_storage` fixture) get the matching policy. style-src also gets the hashes of
the stylesheets that pages carry inline (eventgallery/inline_styles.py).

The Permissions-Policy header is here too (PermissionsPolicyMiddleware): every browser
feature the site does not use is off on every response, and the camera is allowed only
on the Find me pages, whose selfie input may open it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage

from eventgallery import inline_styles

_storage_origins: dict[tuple, tuple[str, ...]] = {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _storage_key(storage: dict) -> tuple:
    options = storage.get("OPTIONS", {})
    config = options.get("client_config")
    return (
        storage["BACKEND"],
        tuple(sorted((name, repr(value)) for name, value in options.items() if name != "client_config")),
        # botocore's Config has no repr of its options; these are the ones that change URLs.
        repr(getattr(config, "s3", None)),
        getattr(config, "region_name", None),
    )


def storage_origins(storage: dict) -> tuple[str, ...]:
    """The origins a page's photo addresses point to, beside our own: none on local
    storage (an access-checked view of ours serves every file)."""
    key = _storage_key(storage)
    if key not in _storage_origins:
        backend = import_string(storage["BACKEND"])
        if not issubclass(backend, S3Storage):
            _storage_origins[key] = ()
        else:
            # Unsigned: no credentials are looked up and nothing is sent anywhere.
            options = {**storage.get("OPTIONS", {}), "querystring_auth": False}
            _storage_origins[key] = (_origin(backend(**options).url("eventgallery-csp-probe.jpg")),)
    return _storage_origins[key]


def form_action_origins() -> tuple[str, ...]:
    end_session = settings.OIDC_OP_END_SESSION_ENDPOINT
    return (_origin(end_session),) if end_session else ()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        for directive, origins in (
            ("img-src", storage_origins(settings.STORAGES["default"])),
            ("form-action", form_action_origins()),
            ("style-src", inline_styles.csp_sources()),
        ):
            if origins:
                update[directive] = [*update.get(directive, ()), *origins]
        parts.update = update
        return parts


# --- Permissions-Policy ------------------------------------------------------------------
# Every feature the site does not use is off, for its pages and anything they might
# embed. The camera is the Find me pages' own (their selfie input, and the search again
# on the results page); the slideshow goes full screen and keeps the screen awake;
# the share button uses the system's share sheet.
PERMISSIONS_POLICY = {
    "accelerometer": "()",
    "autoplay": "()",
    "camera": "()",
    "display-capture": "()",
    "fullscreen": "(self)",
    "geolocation": "()",
    "gyroscope": "()",
    "magnetometer": "()",
    "microphone": "()",
    "midi": "()",
    "payment": "()",
    "publickey-credentials-get": "()",
    "screen-wake-lock": "(self)",
    "usb": "()",
    "web-share": "(self)",
    "xr-spatial-tracking": "()",
}
CAMERA_VIEWS = frozenset({"faces:find_me", "faces:find_me_results"})


def permissions_policy(*, camera: bool) -> str:
    policy = {**PERMISSIONS_POLICY, "camera": "(self)" if camera else "()"}
    return ", ".join(f"{feature}={allowlist}" for feature, allowlist in policy.items())


_POLICY_WITHOUT_CAMERA = permissions_policy(camera=False)
_POLICY_WITH_CAMERA = permissions_policy(camera=True)


class PermissionsPolicyMiddleware:
    """Sends the Permissions-Policy on every response, the probes' and static files' too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        camera = match is not None and match.view_name in CAMERA_VIEWS
        response.headers.setdefault("Permissions-Policy", _POLICY_WITH_CAMERA if camera else _POLICY_WITHOUT_CAMERA)
        return response
