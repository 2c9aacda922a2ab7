"""`jwt_auth`, the one authentication class of every private route."""

from datetime import timedelta
from functools import partial

import pytest
from django.test import RequestFactory
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts import auth
from accounts.auth import jwt_auth
from tests.accounts.helpers import expired_jwt, forged_jwt

pytestmark = pytest.mark.django_db


def request_with(cookie: str | None = None, authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    request = RequestFactory().get("/api/video/", **headers)
    if cookie is not None:
        request.COOKIES["access_token"] = cookie
    return request


def test_the_access_cookie_authenticates(user):
    request = request_with(cookie=str(AccessToken.for_user(user)))

    assert jwt_auth(request) == user
    assert request.user == user


def test_a_bearer_header_authenticates_non_browser_clients(user):
    assert jwt_auth(request_with(authorization=f"Bearer {AccessToken.for_user(user)}")) == user


@pytest.mark.parametrize(
    "make_cookie",
    [
        lambda user: "",
        lambda user: "garbage",
        partial(expired_jwt, AccessToken),
        lambda user: str(RefreshToken.for_user(user)),  # a refresh token opens nothing
        partial(forged_jwt, AccessToken),
    ],
    ids=["empty", "garbage", "expired", "refresh-token", "bad-signature"],
)
def test_unusable_access_tokens_authenticate_nobody(user, make_cookie):
    assert jwt_auth(request_with(cookie=make_cookie(user))) is None


def test_an_inactive_or_deleted_user_is_nobody(user, make_user):
    inactive = make_user(email="inactive@example.com", is_active=False)
    deleted_token = str(AccessToken.for_user(user))
    user.delete()

    assert jwt_auth(request_with(cookie=str(AccessToken.for_user(inactive)))) is None
    assert jwt_auth(request_with(cookie=deleted_token)) is None


def test_a_known_token_holder_costs_no_query(user, django_assert_num_queries):
    token = str(AccessToken.for_user(user))
    assert jwt_auth(request_with(cookie=token)) == user  # reads the row once

    with django_assert_num_queries(0):
        assert jwt_auth(request_with(cookie=token)) == user


@pytest.mark.parametrize(
    "change",
    [
        lambda user: setattr(user, "is_active", False) or user.save(),
        lambda user: user.delete(),
    ],
    ids=["deactivated", "deleted"],
)
def test_a_cached_user_is_dropped_the_moment_it_changes(user, change):
    token = str(AccessToken.for_user(user))
    assert jwt_auth(request_with(cookie=token)) == user

    change(user)

    assert jwt_auth(request_with(cookie=token)) is None


def test_a_saved_user_is_read_afresh(user):
    token = str(AccessToken.for_user(user))
    assert jwt_auth(request_with(cookie=token)).is_staff is False

    user.is_staff = True
    user.save()

    assert jwt_auth(request_with(cookie=token)).is_staff is True


def test_each_request_gets_its_own_copy_of_the_cached_user(user):
    token = str(AccessToken.for_user(user))
    first = jwt_auth(request_with(cookie=token))
    first.is_staff = True  # unsaved: a request's own business

    assert jwt_auth(request_with(cookie=token)).is_staff is False


def test_a_token_verified_before_is_refused_once_it_expires(user, freeze_time):
    clock = freeze_time(auth)
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=60))
    assert jwt_auth(request_with(cookie=str(token))) == user

    clock.now = float(token["exp"]) - 1
    assert jwt_auth(request_with(cookie=str(token))) == user
    clock.now = float(token["exp"])
    assert jwt_auth(request_with(cookie=str(token))) is None


def test_a_tampered_copy_of_a_verified_token_is_refused(user):
    token = str(AccessToken.for_user(user))
    assert jwt_auth(request_with(cookie=token)) == user
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    assert jwt_auth(request_with(cookie=f"{header}.{payload}.{flipped}")) is None
