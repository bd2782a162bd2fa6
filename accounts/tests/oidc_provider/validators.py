from oauth2_provider.oauth2_validators import OAuth2Validator

from accounts.tests.oidc_provider.settings import CONFIG


class ClaimsFromConfig(OAuth2Validator):
    """Each provider user's claims (email, email_verified, groups...) as the test set them."""

    # Every claim whatever the scopes, like a provider configured to always send them.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return CONFIG["users"][request.user.username]["claims"]
