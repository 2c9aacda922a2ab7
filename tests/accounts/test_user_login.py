"""POST /api/login/ and the `user_login` service behind it."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import RequestFactory
from ninja_jwt.token_blacklist.models import OutstandingToken
from ninja_jwt.tokens import AccessToken, RefreshToken

from accounts import throttling
from accounts.auth import jwt_auth
from tests.accounts.helpers import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/login/"
REFUSED = {"detail": "Please check your email and password and try again."}


def test_login_answers_the_contract_and_sets_both_jwt_cookies(api, user):
    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {
        "detail": "Login successful",
        "user": {"id": user.pk, "username": user.email},
    }
    access = AccessToken(response.cookies["access_token"].value)
    refresh = RefreshToken(response.cookies["refresh_token"].value)
    assert access["user_id"] == refresh["user_id"] == user.pk
    assert OutstandingToken.objects.filter(jti=refresh["jti"], user=user).exists()
    user.refresh_from_db()
    assert user.last_login is not None


def test_the_access_cookie_authenticates_private_routes(api, user):
    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})
    request = RequestFactory().get("/api/video/")
    request.COOKIES["access_token"] = response.cookies["access_token"].value

    assert jwt_auth(request) == user


@pytest.mark.parametrize("name", ["access_token", "refresh_token"])
def test_jwt_cookies_are_http_only_lax_site_wide_and_live_as_long_as_their_token(api, user, name):
    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    cookie = response.cookies[name]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    lifetime = django_settings.NINJA_JWT[
        "ACCESS_TOKEN_LIFETIME" if name == "access_token" else "REFRESH_TOKEN_LIFETIME"
    ]
    assert int(cookie["max-age"]) == int(lifetime.total_seconds())


def test_cookie_flags_follow_the_settings(api, user, settings):
    settings.AUTH_COOKIE_SECURE = True
    settings.AUTH_COOKIE_SAMESITE = "Strict"
    settings.AUTH_COOKIE_DOMAIN = "videoflix.example"

    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    for name in ("access_token", "refresh_token"):
        cookie = response.cookies[name]
        assert cookie["secure"] is True
        assert cookie["samesite"] == "Strict"
        assert cookie["domain"] == "videoflix.example"


def test_cookies_are_not_secure_in_development(api, user, settings):
    settings.AUTH_COOKIE_SECURE = False

    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    assert not response.cookies["access_token"]["secure"]


def test_login_also_sets_a_readable_csrf_cookie(api, user):
    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    csrf = response.cookies["csrftoken"]
    assert len(csrf.value) >= 32
    assert not csrf["httponly"]
    assert csrf["path"] == "/"


def test_the_email_is_matched_whatever_its_case_and_extra_fields_are_ignored(api, user):
    response = api.post(
        LOGIN, {"email": "  VIEWER@Example.com ", "password": PASSWORD, "remember": "on"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("viewer@example.com", "wrong-password-here", True),  # wrong password
        ("nobody@example.com", PASSWORD, True),  # unknown email
        ("viewer@example.com", PASSWORD, False),  # right password, inactive account
        ("viewer@example.com", "", True),
        ("", "", True),
    ],
)
def test_every_refusal_looks_the_same(api, make_user, email, password, active):
    make_user(email="viewer@example.com", is_active=active)

    response = api.post(LOGIN, {"email": email, "password": password})

    assert response.status_code == 400
    assert response.json() == REFUSED
    assert "access_token" not in response.cookies
    assert "refresh_token" not in response.cookies


@pytest.fixture
def argon2_runs(monkeypatch) -> list[str]:
    """Records every Argon2 computation (hashing or verifying) that really runs."""
    runs: list[str] = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counted_encode(self, password, salt):
        runs.append("encode")
        return encode(self, password, salt)

    def counted_verify(self, password, encoded):
        runs.append("verify")
        return verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counted_verify)
    return runs


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("nobody@example.com", PASSWORD, True),
        ("viewer@example.com", "wrong-password-here", True),
        ("viewer@example.com", PASSWORD, False),
    ],
    ids=["unknown-email", "wrong-password", "inactive-account"],
)
def test_every_refusal_costs_exactly_one_argon2_computation(
    api, make_user, argon2_runs, email, password, active
):
    """Comparable timing: an unknown email is hashed once, like a known one is verified."""
    make_user(email="viewer@example.com", is_active=active)
    argon2_runs.clear()

    response = api.post(LOGIN, {"email": email, "password": password})

    assert response.status_code == 400
    assert len(argon2_runs) == 1


def test_missing_fields_are_field_errors(api):
    response = api.post(LOGIN, {"email": "viewer@example.com"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["Field required"]}


def test_stale_or_forged_cookies_do_not_block_a_login(api, client, user):
    client.cookies["access_token"] = "forged.jwt.value"
    client.cookies["refresh_token"] = str(RefreshToken.for_user(user))[:-4] + "AAAA"

    response = api.post(LOGIN, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 200


def test_login_is_throttled_per_email_across_client_ips(api, user, settings, argon2_runs):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_email": "3/min"}
    wrong = {"email": user.email, "password": "wrong-password-here"}
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert api.post(LOGIN, wrong, REMOTE_ADDR=address).status_code == 400
    argon2_runs.clear()

    throttled = api.post(
        LOGIN, {"email": "Viewer@Example.com", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4"
    )

    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert throttled.json()["detail"] == (
        f"Too many attempts. Please try again in {throttled['Retry-After']} seconds."
    )
    assert "access_token" not in throttled.cookies
    assert argon2_runs == [], "a throttled attempt must not get to try the password"
    other = api.post(LOGIN, {"email": "other@example.com", "password": PASSWORD})
    assert other.status_code == 400


def test_login_is_throttled_per_client_ip_across_emails(api, user, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_ip": "3/min"}
    for number in range(3):
        body = {"email": f"guess{number}@example.com", "password": "x"}
        assert api.post(LOGIN, body, REMOTE_ADDR="198.51.100.9").status_code == 400

    throttled = api.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )
    elsewhere = api.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.10"
    )

    assert throttled.status_code == 429
    assert throttled.has_header("Retry-After")
    assert elsewhere.status_code == 200


@pytest.fixture
def one_window(monkeypatch):
    """The throttle clock stands still: every request falls in the same window."""
    monkeypatch.setattr(throttling, "clock", lambda: 6_000_000.0)


def test_strangers_wrong_logins_do_not_lock_the_owner_out(api, user, one_window):
    wrong = {"email": user.email, "password": "wrong-password-here"}
    statuses = [api.post(LOGIN, wrong, REMOTE_ADDR="203.0.113.66").status_code for _ in range(6)]

    owner = api.post(LOGIN, {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1")

    assert statuses == [400] * 5 + [429]  # the stranger's address is stopped for this email
    assert owner.status_code == 200


def test_only_failures_count(api, user, settings, one_window):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_ip_email": "2/min"}
    right = {"email": user.email, "password": PASSWORD}

    statuses = [api.post(LOGIN, right, REMOTE_ADDR="192.0.2.1").status_code for _ in range(4)]

    assert statuses == [200] * 4


def test_the_per_email_ceiling_holds_across_addresses(api, user, settings, one_window):
    """Many addresses guessing one account: the ceiling stops them (and, past it, the owner)."""
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "login_email": "4/hour"}
    wrong = {"email": user.email, "password": "wrong-password-here"}
    for n in range(4):
        assert api.post(LOGIN, wrong, REMOTE_ADDR=f"198.51.100.{n}").status_code == 400

    assert api.post(LOGIN, wrong, REMOTE_ADDR="198.51.100.99").status_code == 429


def test_the_default_per_email_ceiling_is_100_failures_an_hour():
    assert django_settings.AUTH_THROTTLE_RATES["login_email"] == "100/hour"
