"""`jwt_auth`, the one authentication class of every private route."""

from functools import partial

import pytest
from django.test import RequestFactory
from ninja_jwt.tokens import AccessToken, RefreshToken

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
