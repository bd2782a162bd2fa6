import pytest
from django.core.management import CommandError, call_command


def test_it_prints_the_settings_of_a_provider_from_its_discovery_document(oidc_provider, capsys):
    call_command("oidc_discover", oidc_provider.issuer)

    endpoints = f"{oidc_provider.url}/o"
    assert capsys.readouterr().out.splitlines() == [
        f"OIDC_ISSUER={oidc_provider.issuer}",
        f"OIDC_AUTHORIZATION_ENDPOINT={endpoints}/authorize/",
        f"OIDC_TOKEN_ENDPOINT={endpoints}/token/",
        f"OIDC_USERINFO_ENDPOINT={endpoints}/userinfo/",
        f"OIDC_JWKS_ENDPOINT={endpoints}/.well-known/jwks.json",
        "# Also log out at the provider:",
        f"# OIDC_END_SESSION_ENDPOINT={endpoints}/logout/",
    ]


def test_it_says_when_there_is_no_discovery_document(oidc_provider):
    with pytest.raises(CommandError, match=r"Could not read .*/nothing/.well-known/openid-configuration: 404"):
        call_command("oidc_discover", f"{oidc_provider.url}/nothing")
