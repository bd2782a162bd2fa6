"""Reads a provider's OpenID Connect discovery document, once, for the operator
(`manage.py oidc_discover`): the settings then name the endpoints, so that starting
the site never depends on the provider answering."""

from dataclasses import dataclass

import requests


class DiscoveryError(Exception):
    pass


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    signing_algorithms: tuple[str, ...]


def provider_endpoints(*, issuer: str, timeout: float = 10) -> ProviderEndpoints:
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"Could not read {url}: {exc}")
    required = ["issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"]
    missing = [name for name in required if not document.get(name)]
    if missing:
        raise DiscoveryError(f"{url} has no {', '.join(missing)}.")
    return ProviderEndpoints(
        **{name: document[name] for name in required},
        end_session_endpoint=document.get("end_session_endpoint", ""),
        signing_algorithms=tuple(document.get("id_token_signing_alg_values_supported", [])),
    )
