"""Writes authenticated by cookie pass Django's CSRF check; Bearer writes and JSON-only bodies."""

import pytest
from django.test import Client
from ninja_jwt.tokens import AccessToken

from tests.accounts.helpers import PASSWORD, logged_in_client

pytestmark = pytest.mark.django_db

TRUSTED_ORIGIN = "http://127.0.0.1:5500"  # a default CORS_ALLOWED_ORIGINS entry
TRANSCODE_MISSING_VIDEO = "/api/video/999999/transcode/"  # 404 once past authentication


@pytest.fixture
def browser(staff_user) -> Client:
    """A browser logged in as staff through the real login route, cookies and all."""
    return logged_in_client(staff_user, enforce_csrf_checks=True)


def csrf_header(client: Client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_a_cookie_write_with_the_csrf_token_from_a_trusted_origin_passes(browser):
    response = browser.post(
        TRANSCODE_MISSING_VIDEO, HTTP_ORIGIN=TRUSTED_ORIGIN, **csrf_header(browser)
    )

    assert response.status_code == 404


def test_a_cookie_write_without_the_csrf_header_is_refused(browser):
    response = browser.post(TRANSCODE_MISSING_VIDEO, HTTP_ORIGIN=TRUSTED_ORIGIN)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed")


def test_a_cookie_write_from_an_untrusted_origin_is_refused_even_with_the_token(browser):
    response = browser.post(
        TRANSCODE_MISSING_VIDEO, HTTP_ORIGIN="http://127.0.0.1:6666", **csrf_header(browser)
    )

    assert response.status_code == 403


def test_cookie_reads_need_no_csrf_token(browser):
    assert browser.get("/api/video/").status_code == 200


def test_a_bearer_write_is_exempt(staff_user):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        TRANSCODE_MISSING_VIDEO,
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(staff_user)}",
        HTTP_ORIGIN="http://evil.example",
    )

    assert response.status_code == 404


def test_logout_by_cookie_from_another_site_is_refused_and_signs_nobody_out(browser):
    refused = browser.post("/api/logout/", HTTP_ORIGIN="http://evil.example")

    assert refused.status_code == 403
    assert browser.get("/api/video/").status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_json_routes_refuse_other_content_types(user, content_type):
    """A cross-site form can post these without a CORS preflight (login CSRF)."""
    client = Client(enforce_csrf_checks=True)
    body = f'{{"email": "{user.email}", "password": "{PASSWORD}"}}'

    response = client.post("/api/login/", body, content_type=content_type)

    assert response.status_code == 415
    assert response.json() == {
        "detail": "Send the request body as JSON (Content-Type: application/json)."
    }
    assert "access_token" not in response.cookies


def test_a_cookie_write_with_a_malformed_multipart_body_is_a_400_not_a_500(browser):
    """Django's CSRF check reads a POST's form fields; a multipart type without a boundary
    cannot be read."""
    response = browser.generic(
        "POST",
        TRANSCODE_MISSING_VIDEO,
        b"not a multipart body",
        content_type="multipart/form-data",
        HTTP_ORIGIN=TRUSTED_ORIGIN,
        **csrf_header(browser),
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is malformed multipart form data."}


def test_json_with_a_charset_is_json(user):
    client = Client(enforce_csrf_checks=True)
    body = f'{{"email": "{user.email}", "password": "{PASSWORD}"}}'

    response = client.post("/api/login/", body, content_type="application/json; charset=utf-8")

    assert response.status_code == 200


def test_a_cookie_header_naming_the_access_cookie_twice_authenticates_nobody(user):
    """nginx keys its authorization cache on the first, Django would read the last."""
    token = str(AccessToken.for_user(user))
    client = Client()

    twice = client.get("/api/video/", HTTP_COOKIE=f"access_token=; access_token={token}")
    once = client.get("/api/video/", HTTP_COOKIE=f"other=1; access_token={token}")

    assert (twice.status_code, once.status_code) == (401, 200)
