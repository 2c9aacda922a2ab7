"""POST /api/token/refresh/ and the `refresh_token_rotate` service behind it."""

import threading
from functools import partial

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts import services
from accounts.auth import jwt_auth
from tests.accounts.helpers import PASSWORD, expired_jwt, forged_jwt

pytestmark = pytest.mark.django_db

REFRESH = "/api/token/refresh/"
INVALID = {"detail": "The refresh token is invalid or has expired."}


@pytest.fixture
def logged_in(api, user):
    response = api.post("/api/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    return response


def test_refresh_answers_a_new_access_token_in_body_and_cookie(api, logged_in, user):
    response = api.post(REFRESH)

    assert response.status_code == 200
    body = response.json()
    assert body["detail"] == "Token refreshed"
    assert body["access"] == response.cookies["access_token"].value
    assert AccessToken(body["access"])["user_id"] == user.pk
    request = RequestFactory().get("/")
    request.COOKIES["access_token"] = response.cookies["access_token"].value
    assert jwt_auth(request) == user
    assert response.cookies["access_token"]["httponly"]
    assert response.cookies["refresh_token"]["httponly"]


def test_refresh_rotates_the_refresh_token_and_blacklists_the_old_one(api, logged_in):
    old = RefreshToken(logged_in.cookies["refresh_token"].value)

    response = api.post(REFRESH)

    new = RefreshToken(response.cookies["refresh_token"].value)
    assert new["jti"] != old["jti"]
    assert BlacklistedToken.objects.filter(token__jti=old["jti"]).exists()
    assert OutstandingToken.objects.filter(jti=new["jti"], blacklistedtoken__isnull=True).exists()


def test_a_refresh_token_reused_after_rotation_is_refused(api, client, logged_in):
    old = logged_in.cookies["refresh_token"].value
    rotated = api.post(REFRESH)
    assert rotated.status_code == 200
    client.cookies["refresh_token"] = old

    reused = api.post(REFRESH)

    assert reused.status_code == 401
    assert reused.json() == INVALID


def test_the_rotated_refresh_token_keeps_working(api, logged_in):
    statuses = [api.post(REFRESH).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_refresh_without_a_cookie_is_a_400(api):
    response = api.post(REFRESH)

    assert response.status_code == 400
    assert response.json() == {"detail": "No refresh token cookie was sent."}


@pytest.mark.parametrize(
    "make_cookie",
    [
        lambda user: "garbage",
        partial(forged_jwt, RefreshToken),
        partial(expired_jwt, RefreshToken),
        lambda user: str(AccessToken.for_user(user)),  # an access token is no refresh token
    ],
    ids=["garbage", "forged-signature", "expired", "access-token"],
)
def test_unusable_refresh_tokens_are_a_401(api, client, user, make_cookie):
    client.cookies["refresh_token"] = make_cookie(user)

    response = api.post(REFRESH)

    assert response.status_code == 401
    assert response.json() == INVALID
    assert "access_token" not in response.cookies


def test_a_deactivated_account_cannot_refresh(api, client, logged_in, user):
    user.is_active = False
    user.save()

    assert api.post(REFRESH).status_code == 401


def test_a_deleted_account_cannot_refresh(api, logged_in, user):
    user.delete()

    assert api.post(REFRESH).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_of_two_racing_rotations_of_one_token_exactly_one_wins(make_user):
    user = make_user()
    token = services.token_pair_issue(user=user).refresh
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def rotate() -> None:
        start.wait()
        try:
            services.refresh_token_rotate(refresh=token)
            outcomes.append("rotated")
        except services.InvalidRefreshToken:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refused", "rotated"]
    assert OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("send_csrf_header", "status"), [(True, 200), (False, 403)], ids=["with-X-CSRFToken", "without"]
)
def test_refresh_by_cookie_needs_the_csrf_header(user, send_csrf_header, status):
    browser = Client(enforce_csrf_checks=True)
    login = browser.post(
        "/api/login/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    headers = {"HTTP_X_CSRFTOKEN": login.cookies["csrftoken"].value} if send_csrf_header else {}

    response = browser.post(REFRESH, **headers)

    assert response.status_code == status
