"""Who may sign in as an organizer through single sign-on, and as which account."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)

ORGANIZERS_GROUP = "Organizers"
# Organizers manage their own galleries, photos, face data, API keys and uploads in these
# apps (the admin scopes every list to them: galleries/access.py); nothing else (users, groups).
ORGANIZER_APPS = ["galleries", "faces", "api"]


def sso_enabled() -> bool:
    """Single sign-on is on when a client id is set (eventgallery/settings.py checks the rest)."""
    return bool(settings.OIDC_RP_CLIENT_ID)


class SignInRefused(Exception):
    """The provider signed someone in who may not sign in here. The message is for them."""


def organizers_group() -> Group:
    """The group that gives organizers who are not superusers their permissions:
    every permission of the galleries and faces apps. Made (or completed with the
    permissions of newer models) on use, so that it never lags behind the models."""
    group, _ = Group.objects.get_or_create(name=ORGANIZERS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=ORGANIZER_APPS))
    return group


def _email_is_verified(claims: dict) -> bool:
    # Some providers (Amazon Cognito) send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def organizer_sign_in(*, claims: dict):
    """The organizer account for the provider's claims about a person, created if
    the settings allow. Raises SignInRefused when that person may not sign in.

    People are matched by their email address, which must be verified by the
    provider: it is the only thing that links them to accounts made before single
    sign-on, and an unverified one would let anyone who can register that address
    at the provider take over the account."""
    provider = settings.OIDC_PROVIDER_NAME
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise SignInRefused(f"{provider} did not share your email address, so you could not be signed in.")
    if not _email_is_verified(claims):
        raise SignInRefused(f"Your email address {email} is not verified at {provider}.")
    domain = email.rpartition("@")[2]
    if settings.OIDC_ALLOWED_DOMAINS and domain not in settings.OIDC_ALLOWED_DOMAINS:
        raise SignInRefused(f"Accounts at {domain} may not sign in to Eventgallery.")
    if settings.OIDC_ORGANIZER_GROUP:
        groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
        if isinstance(groups, str):
            groups = [groups]
        if settings.OIDC_ORGANIZER_GROUP not in groups:
            raise SignInRefused(
                f"You are not in the {settings.OIDC_ORGANIZER_GROUP} group at {provider}, "
                "so you may not sign in to Eventgallery."
            )

    User = get_user_model()
    with transaction.atomic():
        users = list(User.objects.select_for_update().filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise SignInRefused(f"Several accounts have the email address {email}; ask an administrator to merge them.")
        if users:
            user = users[0]
            if not user.is_active:
                raise SignInRefused("Your Eventgallery account is disabled.")
        else:
            user = _organizer_create(email=email, claims=claims)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        # Superusers need no group; and superuser status is never granted here.
        if not user.is_superuser:
            user.groups.add(organizers_group())
    return user


def _organizer_create(*, email: str, claims: dict):
    # Without a rule on who may come in, any account at the provider could become an
    # organizer: at a public provider, anyone at all.
    may_create = settings.OIDC_CREATE_USERS and (settings.OIDC_ALLOWED_DOMAINS or settings.OIDC_ORGANIZER_GROUP)
    if not may_create:
        raise SignInRefused(f"There is no Eventgallery account for {email}. Ask an administrator to create one.")
    User = get_user_model()
    if User.objects.filter(username__iexact=email).exists():
        raise SignInRefused(f"An account named {email} with another email address exists; ask an administrator.")
    user = User(
        username=email,
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        is_staff=True,
    )
    # Organizers who come through single sign-on sign in there, never with a password here.
    user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as exc:
        raise SignInRefused(f"An account for {email} could not be made: {'; '.join(exc.messages)}")
    user.save()
    logger.info("Single sign-on created the organizer account %s", email)
    return user


def organizer_create(*, username: str, email: str = "", password: str | None = None):
    """A local organizer account: staff (so the admin lets them in), in the Organizers
    group, never superuser. An existing account of that name is made an organizer
    (its password kept unless one is given). Without a password the account cannot
    sign in until one is set (`manage.py changepassword`) or single sign-on finds it.
    Raises ValidationError for a bad username, email or password."""
    from django.contrib.auth.password_validation import validate_password

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=username).first() or User(username=username)
        if email:
            user.email = email
        user.is_staff = True
        if password is not None:
            validate_password(password, user)
            user.set_password(password)
        elif user._state.adding:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        user.groups.add(organizers_group())
    return user
