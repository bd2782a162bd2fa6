from django.core.management.base import BaseCommand, CommandError

from accounts.discovery import DiscoveryError, provider_endpoints


class Command(BaseCommand):
    help = (
        "Prints the single sign-on settings of an OpenID Connect provider, read from its discovery "
        "document (<issuer>/.well-known/openid-configuration), for .env."
    )

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="e.g. https://dev-123456.okta.com/oauth2/default")

    def handle(self, *, issuer, **options):
        try:
            provider = provider_endpoints(issuer=issuer)
        except DiscoveryError as exc:
            raise CommandError(str(exc))
        lines = [
            f"OIDC_ISSUER={provider.issuer}",
            f"OIDC_AUTHORIZATION_ENDPOINT={provider.authorization_endpoint}",
            f"OIDC_TOKEN_ENDPOINT={provider.token_endpoint}",
            f"OIDC_USERINFO_ENDPOINT={provider.userinfo_endpoint}",
            f"OIDC_JWKS_ENDPOINT={provider.jwks_uri}",
        ]
        if provider.end_session_endpoint:
            lines += ["# Also log out at the provider:", f"# OIDC_END_SESSION_ENDPOINT={provider.end_session_endpoint}"]
        if provider.signing_algorithms and "RS256" not in provider.signing_algorithms:
            lines.append(f"OIDC_SIGN_ALGO={provider.signing_algorithms[0]}")
        self.stdout.write("\n".join(lines))
