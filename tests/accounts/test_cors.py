"""Front ends on another origin call the auth routes with credentials (cookies)."""

import pytest

from tests.accounts.helpers import PASSWORD

pytestmark = pytest.mark.django_db

ALLOWED = "http://127.0.0.1:5500"


def preflight(client, origin: str):
    return client.options(
        "/api/login/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken",
    )


def test_a_preflight_from_an_allowed_origin_may_send_credentials(client):
    response = preflight(client, ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers
    assert "x-csrftoken" in allowed_headers


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:5501", "null"])
def test_a_preflight_from_another_origin_gets_no_cors_headers(client, origin):
    response = preflight(client, origin)

    assert not any(header.lower().startswith("access-control-") for header in response.headers)


def test_the_login_answer_to_an_allowed_origin_lets_the_browser_keep_the_cookies(api, user):
    response = api.post(
        "/api/login/", {"email": user.email, "password": PASSWORD}, HTTP_ORIGIN=ALLOWED
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "access_token" in response.cookies


def test_allowed_origins_come_from_the_settings(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.videoflix.example"]

    assert preflight(client, "https://app.videoflix.example").status_code == 200
    assert "Access-Control-Allow-Origin" not in preflight(client, ALLOWED)
