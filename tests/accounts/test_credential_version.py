"""Logout and every password change cut off the credentials issued before them:
access tokens, signed segment links (their token) and refresh tokens; a spent refresh
token presented again revokes its whole family (refresh token reuse detection)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from ninja_jwt.token_blacklist.models import BlacklistedToken
from ninja_jwt.tokens import RefreshToken

from accounts.services import CONCURRENT_ROTATION
from tests.accounts.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    link_in_mail,
    logged_in_client,
    uid_and_token,
)

pytestmark = pytest.mark.django_db

CATALOG = "/api/video/"
REFRESH = "/api/token/refresh/"


def stolen_copy(client: Client) -> Client:
    """Another party holding the same cookies (a copied access and refresh token)."""
    thief = Client()
    for name in ("access_token", "refresh_token"):
        thief.cookies[name] = client.cookies[name].value
    return thief


def test_logout_cuts_off_the_access_token_at_once(user):
    browser = logged_in_client(user)
    thief = stolen_copy(browser)
    assert thief.get(CATALOG).status_code == 200

    assert browser.post("/api/logout/").status_code == 200

    assert thief.get(CATALOG).status_code == 401
    assert thief.post(REFRESH).status_code == 401


def test_logout_leaves_the_accounts_other_logins_signed_in(user):
    phone, laptop = logged_in_client(user), logged_in_client(user)
    phone_copy = stolen_copy(phone)

    assert phone.post("/api/logout/").status_code == 200

    assert (phone_copy.get(CATALOG).status_code, phone_copy.post(REFRESH).status_code) == (401, 401)
    assert (laptop.get(CATALOG).status_code, laptop.post(REFRESH).status_code) == (200, 200)


def test_a_second_logout_keeps_the_first_one(user):
    phone, laptop = logged_in_client(user), logged_in_client(user)
    phone_copy, laptop_copy = stolen_copy(phone), stolen_copy(laptop)

    phone.post("/api/logout/")
    laptop.post("/api/logout/")

    assert (phone_copy.get(CATALOG).status_code, laptop_copy.get(CATALOG).status_code) == (401, 401)


def test_a_signed_out_login_is_forgotten_once_its_access_tokens_have_expired(user):
    lifetime = settings.NINJA_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    user.sign_out_login("first", now=1000.0)
    user.sign_out_login("second", now=1000.0 + lifetime + 1)  # every token of "first" is dead

    user.refresh_from_db()
    assert set(user.signed_out_logins) == {"second"}
    assert user.is_signed_out("second")
    assert not user.is_signed_out("first")


def test_a_password_reset_cuts_off_access_and_refresh_tokens(api, user):
    thief = stolen_copy(logged_in_client(user))
    api.post("/api/password_reset/", {"email": user.email})
    uid, token = uid_and_token(link_in_mail(mail.outbox[-1]))

    confirmed = api.post(
        f"/api/password_confirm/{uid}/{token}/",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    assert confirmed.status_code == 200
    assert (thief.get(CATALOG).status_code, thief.post(REFRESH).status_code) == (401, 401)


def test_a_password_set_by_staff_in_the_admin_cuts_off_every_token(user, make_user):
    thief = stolen_copy(logged_in_client(user))
    admin = Client()
    make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    admin.login(email="admin@example.com", password=PASSWORD)

    changed = admin.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert (thief.get(CATALOG).status_code, thief.post(REFRESH).status_code) == (401, 401)


def test_a_password_set_by_set_password_and_save_alone_cuts_off_every_token(user):
    """The path of `changepassword` and of any code that saves only the password field."""
    thief = stolen_copy(logged_in_client(user))

    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])

    assert (thief.get(CATALOG).status_code, thief.post(REFRESH).status_code) == (401, 401)


def test_the_new_login_after_a_password_change_works(user):
    user.set_password(NEW_PASSWORD)
    user.save()

    client = logged_in_client(user, password=NEW_PASSWORD)

    assert client.get(CATALOG).status_code == 200
    assert client.post(REFRESH).status_code == 200


def spent_long_ago(client: Client) -> None:
    """Date the blacklisting of the client's refresh token back past the concurrency grace."""
    jti = RefreshToken(client.cookies["refresh_token"].value, verify=False)["jti"]
    BlacklistedToken.objects.filter(token__jti=jti).update(
        blacklisted_at=timezone.now() - CONCURRENT_ROTATION - timedelta(seconds=1)
    )


def test_replaying_a_spent_refresh_token_revokes_its_whole_family(user):
    victim = logged_in_client(user)
    other_device = logged_in_client(user)
    thief = stolen_copy(victim)
    assert thief.post(REFRESH).status_code == 200  # the thief rotates first
    spent_long_ago(victim)

    replay = victim.post(REFRESH)  # the victim's copy was spent: reuse

    assert replay.status_code == 401
    assert thief.get(CATALOG).status_code == 401  # the thief's new access token died at once
    assert thief.post(REFRESH).status_code == 401  # and so did the refresh token of the family
    assert other_device.get(CATALOG).status_code == 200  # another login is not that family
    assert other_device.post(REFRESH).status_code == 200


def test_a_concurrent_refresh_of_one_token_is_refused_but_revokes_nothing(user):
    """Two tabs refreshing at the same moment send the same refresh token."""
    first_tab = logged_in_client(user)
    second_tab = stolen_copy(first_tab)
    assert first_tab.post(REFRESH).status_code == 200

    assert second_tab.post(REFRESH).status_code == 401
    assert first_tab.post(REFRESH).status_code == 200
