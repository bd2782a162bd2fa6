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

A response that no view's decorator changed and that used no nonce gets the same
headers as every other such response while those settings stay the same: they are
built once, not for every response (django-csp's building and copying of the policy
was a tenth of the CPU of a gallery page served from the cache).

The Permissions-Policy header is here too (PermissionsPolicyMiddleware): every browser
feature the site does not use is off on every response, and the camera is allowed only
on the Find me pages, whose selfie input may open it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
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


# What a view's decorators (csp.decorators) set on its response; with any of them, the
# response's policy is built for it.
_RESPONSE_POLICY_ATTRIBUTES = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    _standard: tuple[tuple, tuple[tuple[str, str], ...]] = ((), ())  # (the settings it was built for, headers)

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _RESPONSE_POLICY_ATTRIBUTES)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for header, value in self._standard_headers(request, response):
            response.headers.setdefault(header, value)
        # As django-csp does: a nonce asked for after the header was written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _standard_headers(self, request, response) -> tuple[tuple[str, str], ...]:
        """The headers of a response without a policy of its own, built once for the
        settings they come from (compared by identity: a changed setting is a new object)."""
        sources = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None),
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
            settings.STORAGES,
            settings.OIDC_OP_END_SESSION_ENDPOINT,
            inline_styles.csp_sources(),
        )
        built_for, headers = self._standard
        if built_for != sources:  # a tuple compares its items by identity first: cheap while nothing changed
            headers = []
            for header, report_only, policy in ((HEADER, False, sources[0]), (HEADER_REPORT_ONLY, True, sources[1])):
                if policy and policy.get("EXCLUDE_URL_PREFIXES"):
                    raise ImproperlyConfigured("EXCLUDE_URL_PREFIXES is not supported: every page has the policy")
                parts = self.get_policy_parts(request, response, report_only=report_only)
                value = build_policy(parts.config, parts.update, parts.replace, None, report_only=report_only)
                if value:
                    headers.append((header, value))
            headers = tuple(headers)
            self._standard = (sources, headers)
        return headers

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
