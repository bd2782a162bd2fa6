import pytest
from django.contrib.auth import get_user_model

from accounts import services
from galleries.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sign_in_rules(settings):
    settings.OIDC_PROVIDER_NAME = "Okta"
    settings.OIDC_ALLOWED_DOMAINS = ["example.org"]
    settings.OIDC_ORGANIZER_GROUP = ""
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_CREATE_USERS = True


def claims(email="ada@example.org", verified=True, **more):
    return {"sub": "00u1", "email": email, "email_verified": verified, **more}


def refusal(**kwargs) -> str:
    with pytest.raises(services.SignInRefused) as refused:
        services.organizer_sign_in(**kwargs)
    return str(refused.value)


def test_it_makes_a_staff_organizer_who_may_manage_galleries_but_not_users():
    user = services.organizer_sign_in(claims=claims(given_name="Ada"))

    assert user.is_staff and not user.is_superuser and user.first_name == "Ada"
    for permission in ["galleries.add_gallery", "galleries.change_gallery", "galleries.delete_photo"]:
        assert user.has_perm(permission)
    assert user.has_perm("faces.change_photofaces")
    assert not user.has_perm("auth.change_user")


def test_it_signs_the_same_person_into_the_same_account_next_time():
    first = services.organizer_sign_in(claims=claims())

    again = services.organizer_sign_in(claims=claims(email="ADA@example.org"))

    assert again == first and get_user_model().objects.count() == 1


def test_it_never_makes_anyone_superuser_and_leaves_superusers_as_they_are():
    boss = make_user(superuser=True, username="boss")
    boss.email = "boss@example.org"
    boss.save()

    user = services.organizer_sign_in(claims=claims(email="boss@example.org", is_superuser=True))

    assert user == boss and user.is_superuser and not user.groups.exists()
    assert not services.organizer_sign_in(claims=claims(is_superuser=True, is_staff=True)).is_superuser


def test_it_accepts_email_verified_sent_as_a_string():
    assert services.organizer_sign_in(claims=claims(verified="true")).email == "ada@example.org"


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_it_refuses_an_unverified_email(verified):
    assert refusal(claims=claims(verified=verified)) == "Your email address ada@example.org is not verified at Okta."
    assert not get_user_model().objects.exists()


def test_it_refuses_claims_without_an_email():
    assert "did not share your email address" in refusal(claims={"sub": "00u1"})


def test_it_refuses_a_domain_that_is_not_allowed():
    assert refusal(claims=claims(email="x@example.org.evil.test")) == (
        "Accounts at example.org.evil.test may not sign in to Eventgallery."
    )


def test_it_requires_the_organizer_group_when_one_is_set(settings):
    settings.OIDC_ALLOWED_DOMAINS = []
    settings.OIDC_ORGANIZER_GROUP = "eventgallery-organizers"

    assert "not in the eventgallery-organizers group at Okta" in refusal(claims=claims(groups=["staff"]))
    assert services.organizer_sign_in(claims=claims(groups=["staff", "eventgallery-organizers"])).is_staff


def test_it_signs_existing_accounts_in_but_makes_none_without_a_rule_on_who_may_come_in(settings):
    settings.OIDC_ALLOWED_DOMAINS = []
    grace = make_user(username="grace")
    grace.email = "grace@elsewhere.test"
    grace.save()

    assert refusal(claims=claims()) == (
        "There is no Eventgallery account for ada@example.org. Ask an administrator to create one."
    )
    user = services.organizer_sign_in(claims=claims(email="grace@elsewhere.test"))
    assert user == grace and user.is_staff and user.has_perm("galleries.change_gallery")


def test_it_makes_no_accounts_when_creating_them_is_off(settings):
    settings.OIDC_CREATE_USERS = False

    assert "There is no Eventgallery account" in refusal(claims=claims())


def test_it_refuses_a_disabled_account():
    user = make_user(username="ada")
    user.email, user.is_active = "ada@example.org", False
    user.save()

    assert refusal(claims=claims()) == "Your Eventgallery account is disabled."


def test_it_refuses_when_several_accounts_share_the_email():
    for username in ["ada1", "ada2"]:
        user = make_user(username=username)
        user.email = "ada@example.org"
        user.save()

    assert "Several accounts have the email address ada@example.org" in refusal(claims=claims())
