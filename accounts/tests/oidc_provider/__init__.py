"""A tiny OpenID Connect provider (django-oauth-toolkit) that the single sign-on
tests run on loopback, in a process of its own: `python -m accounts.tests.oidc_provider.serve CONFIG`."""
