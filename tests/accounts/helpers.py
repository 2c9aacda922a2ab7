"""Helpers shared by the accounts tests."""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.core import mail
from django.test import Client

PASSWORD = "correct-horse-battery"  # the password `make_user` gives its users
NEW_PASSWORD = "a-brand-new-secret-42"


class JsonApi:
    """The test client posting JSON, with on-commit callbacks run as a real commit would."""

    def __init__(self, client, capture_on_commit):
        self.client = client
        self._capture_on_commit = capture_on_commit

    def post(self, path: str, body: dict | None = None, **extra):
        with self._capture_on_commit(execute=True):
            return self.client.post(
                path,
                data=json.dumps(body) if body is not None else "",
                content_type="application/json",
                **extra,
            )

    def get(self, path: str, **extra):
        with self._capture_on_commit(execute=True):
            return self.client.get(path, **extra)


def logged_in_client(
    user, *, password: str = PASSWORD, enforce_csrf_checks: bool = False
) -> Client:
    """A browser logged in through the real login route, with the cookies it set."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    response = client.post(
        "/api/login/", {"email": user.email, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return client


def link_in_text(text: str) -> str:
    """The one front-end link in the plain-text part of a mail."""
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1, text
    return links[0]


def link_in_mail(message: mail.EmailMessage) -> str:
    return link_in_text(message.body)


def uid_and_token(link: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(link).query)
    return query["uid"][0], query["token"][0]


def register_body(email: str = "new.viewer@example.com", password: str = PASSWORD) -> dict:
    return {"email": email, "password": password, "confirmed_password": password}


def expired_jwt(token_class, user) -> str:
    """A correctly signed token of this class whose lifetime ended a day ago."""
    token = token_class.for_user(user)
    token.set_exp(from_time=token.current_time - token.lifetime - timedelta(days=1))
    return str(token)


def forged_jwt(token_class, user) -> str:
    """A token of this class for the user with a signature we never made."""
    header, payload, signature = str(token_class.for_user(user)).split(".")
    return f"{header}.{payload}.{'A' * len(signature)}"
