"""A NUL character in a JSON body is a 400 with a sentence, on every database.

PostgreSQL refuses NUL in text outright, so one that slipped through to a query was a 500
there (found by the contract fuzzer on /api/password_reset/); SQLite would store it.
"""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/password_reset/", {"email": "viewer\x00@example.com"}),
        ("/api/login/", {"email": "viewer@example.com", "password": "pass\x00word"}),
        (
            "/api/register/",
            {"email": "a@example.com", "password": "x\x00", "confirmed_password": "x\x00"},
        ),
    ],
)
def test_a_nul_in_a_json_body_is_refused_with_a_sentence(user, path, body):
    response = Client().post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_text_without_nul_still_reaches_the_route(user):
    response = Client().post(
        "/api/password_reset/",
        json.dumps({"email": "nobody@example.com"}),
        content_type="application/json",
    )
    assert response.status_code == 200
