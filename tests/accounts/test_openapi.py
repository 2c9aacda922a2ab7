"""/api/openapi.json documents every auth route with its error answers."""

import pytest


@pytest.fixture
def paths(client):
    return client.get("/api/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/register/", "post", {"201", "400", "415", "429"}),
        ("/api/activate/{uidb64}/{token}/", "get", {"200", "400"}),
        ("/api/login/", "post", {"200", "400", "415", "429"}),
        ("/api/logout/", "post", {"200", "400", "403"}),
        ("/api/token/refresh/", "post", {"200", "400", "401", "403"}),
        ("/api/password_reset/", "post", {"200", "415", "429"}),
        ("/api/password_confirm/{uidb64}/{token}/", "post", {"200", "400", "415"}),
    ],
)
def test_each_auth_route_documents_its_answers(paths, path, method, statuses):
    operation = paths[path][method]

    assert statuses <= set(operation["responses"])
    assert "security" not in operation


def test_the_cookie_read_by_refresh_and_logout_is_documented(paths):
    for path in ("/api/logout/", "/api/token/refresh/"):
        parameters = paths[path]["post"].get("parameters", [])
        assert {"in": "cookie", "name": "refresh_token"} in [
            {"in": p["in"], "name": p["name"]} for p in parameters
        ]
