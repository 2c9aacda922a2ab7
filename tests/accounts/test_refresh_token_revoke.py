"""POST /api/logout/ and the `refresh_token_revoke` service behind it."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from ninja_jwt.token_blacklist.models import BlacklistedToken
from ninja_jwt.tokens import RefreshToken

from tests.accounts.helpers import PASSWORD

pytestmark = pytest.mark.django_db

LOGOUT = "/api/logout/"
LOGGED_OUT = {
    "detail": "Logout successful! All tokens will be deleted. Refresh token is now invalid."
}


@pytest.fixture
def logged_in(api, user, settings):
    settings.AUTH_COOKIE_SECURE = True
    response = api.post("/api/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    return response


def test_logout_blacklists_the_refresh_token(api, logged_in):
    refresh = RefreshToken(logged_in.cookies["refresh_token"].value, verify=False)

    response = api.post(LOGOUT)

    assert response.status_code == 200
    assert response.json() == LOGGED_OUT
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()


def test_logout_deletes_both_cookies_with_the_flags_they_were_set_with(api, logged_in):
    response = api.post(LOGOUT)

    for name in ("access_token", "refresh_token"):
        deleted, original = response.cookies[name], logged_in.cookies[name]
        assert deleted.value == ""
        assert deleted["max-age"] == 0
        assert parsedate_to_datetime(deleted["expires"]) <= datetime.now(UTC)
        for flag in ("path", "domain", "samesite", "secure", "httponly"):
            assert deleted[flag] == original[flag], flag


def test_the_refresh_token_is_refused_after_logout(api, client, logged_in):
    refresh = logged_in.cookies["refresh_token"].value
    api.post(LOGOUT)
    client.cookies["refresh_token"] = refresh

    response = api.post("/api/token/refresh/")

    assert response.status_code == 401
    assert response.json() == {"detail": "The refresh token is invalid or has expired."}


def test_logout_without_a_refresh_cookie_is_a_400(api, client, user):
    response = api.post(LOGOUT)

    assert response.status_code == 400
    assert response.json() == {"detail": "No refresh token cookie was sent."}


@pytest.mark.parametrize("value", ["garbage", "a.b.c"])
def test_logout_with_an_unusable_refresh_cookie_still_clears_the_cookies(api, client, value):
    client.cookies["refresh_token"] = value

    response = api.post(LOGOUT)

    assert response.status_code == 200
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["access_token"].value == ""


def test_logging_out_twice_with_the_same_token_is_harmless(api, client, logged_in):
    refresh = logged_in.cookies["refresh_token"].value
    api.post(LOGOUT)
    client.cookies["refresh_token"] = refresh

    assert api.post(LOGOUT).status_code == 200
    assert BlacklistedToken.objects.count() == 1
