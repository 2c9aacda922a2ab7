"""POST /api/register/ and the `user_register` service behind it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from tests.accounts.helpers import PASSWORD, link_in_mail, register_body, uid_and_token
from videoflix import settings as project_settings

pytestmark = pytest.mark.django_db

REGISTER = "/api/register/"


def test_register_creates_an_inactive_account_and_mails_its_activation_link(api, settings):
    settings.FRONTEND_URL = "https://watch.example"
    body = {**register_body("New.Viewer@Example.COM"), "privacy_policy": "on"}

    response = api.post(REGISTER, body)

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {"user": {"id": user.pk, "email": "new.viewer@example.com"}}
    assert user.email == "new.viewer@example.com"
    assert not user.is_active
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2$")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.viewer@example.com"]
    link = link_in_mail(message)
    assert link.startswith("https://watch.example/pages/auth/activate.html?uid=")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link.replace("&", "&amp;") in html


def test_the_project_hashes_passwords_with_argon2():
    # tests/accounts/conftest.py swaps in a cheaper Argon2; the project's own list must lead with it
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_the_activation_token_never_appears_in_the_response(api):
    response = api.post(REGISTER, register_body())

    _, token = uid_and_token(link_in_mail(mail.outbox[0]))
    assert token not in response.content.decode()
    assert "token" not in response.json()


def test_mismatched_confirmation_is_a_field_error(api):
    body = {**register_body(), "confirmed_password": "something-else-entirely"}

    response = api.post(REGISTER, body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"confirmed_password": ["The passwords do not match."]},
    }
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("password", "expected_messages"),
    [
        (
            "Zq7!xp",
            ["This password is too short. It must contain at least 8 characters."],
        ),
        ("password", ["This password is too common."]),
        (
            "4815162342",
            ["This password is too common.", "This password is entirely numeric."],
        ),
        ("new.viewer", ["The password is too similar to the email address."]),
    ],
)
def test_weak_passwords_come_back_with_the_validator_messages(api, password, expected_messages):
    response = api.post(REGISTER, register_body("new.viewer@example.com", password))

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert sorted(body["errors"]["password"]) == sorted(expected_messages)
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "viewer@", "@example.com", "a b@example.com"])
def test_a_malformed_email_is_a_field_error(api, email):
    response = api.post(REGISTER, register_body(email))

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["Enter a valid email address."]}


def test_missing_fields_are_named(api):
    response = api.post(REGISTER, {"email": "new.viewer@example.com"})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"password", "confirmed_password"}


def test_a_body_that_is_not_json_is_a_400_not_a_500(client):
    response = client.post(REGISTER, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_a_taken_email_gets_one_generic_message_whatever_its_case(api, make_user):
    make_user(email="viewer@example.com", is_active=False)

    responses = [
        api.post(REGISTER, register_body(email))
        for email in ("viewer@example.com", "VIEWER@example.com", " Viewer@Example.com ")
    ]

    for response in responses:
        assert response.status_code == 400
        assert response.json() == {"detail": "Please check your entries and try again."}
    assert "exist" not in responses[0].content.decode().lower()
    assert "taken" not in responses[0].content.decode().lower()
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_a_taken_email_with_a_weak_password_only_hears_about_the_password(api, make_user):
    make_user(email="viewer@example.com")
    fresh = api.post(REGISTER, register_body("fresh@example.com", "password"))

    taken = api.post(REGISTER, register_body("viewer@example.com", "password"))

    assert taken.status_code == fresh.status_code == 400
    assert taken.json() == fresh.json()


def test_a_failing_mail_server_does_not_fail_the_registration(api, smtp_at, unused_tcp_port):
    smtp_at(unused_tcp_port)

    response = api.post(REGISTER, register_body())

    assert response.status_code == 201
    assert User.objects.filter(email="new.viewer@example.com", is_active=False).exists()


def test_a_stale_cookie_does_not_turn_registration_into_a_401(api, client):
    client.cookies["access_token"] = "stale.garbage.token"
    client.cookies["refresh_token"] = "stale.garbage.token"

    assert api.post(REGISTER, register_body()).status_code == 201


def test_registration_is_throttled_per_client_ip(api, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "register_ip": "2/hour"}

    first = api.post(REGISTER, register_body("one@example.com"), REMOTE_ADDR="203.0.113.5")
    second = api.post(REGISTER, register_body("two@example.com"), REMOTE_ADDR="203.0.113.5")
    third = api.post(REGISTER, register_body("three@example.com"), REMOTE_ADDR="203.0.113.5")
    other_ip = api.post(REGISTER, register_body("four@example.com"), REMOTE_ADDR="203.0.113.6")

    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 429]
    assert 1 <= int(third["Retry-After"]) <= 3600
    assert third.json()["detail"].startswith("Too many attempts.")
    assert other_ip.status_code == 201
    assert not User.objects.filter(email="three@example.com").exists()


def _joined(user: User, ago: timedelta) -> None:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - ago)


def test_a_squatted_address_is_freed_once_its_activation_links_expired(api, make_user, settings):
    settings.ACTIVATION_TIMEOUT_SECONDS = 3600
    squatter = make_user(email="owner@example.com", password="squatter-secret-1", is_active=False)
    _joined(squatter, timedelta(seconds=3601))

    response = api.post(REGISTER, register_body("owner@example.com"))

    assert response.status_code == 201
    owner = User.objects.get(email="owner@example.com")
    assert owner.pk != squatter.pk
    assert owner.check_password(PASSWORD)


def test_an_unactivated_address_within_its_link_lifetime_stays_taken(api, make_user, settings):
    settings.ACTIVATION_TIMEOUT_SECONDS = 3600
    pending = make_user(email="owner@example.com", is_active=False)
    _joined(pending, timedelta(seconds=3599))

    assert api.post(REGISTER, register_body("owner@example.com")).status_code == 400
    assert User.objects.filter(pk=pending.pk).exists()


def test_a_deactivated_account_is_never_replaced_by_a_registration(api, make_user, settings):
    settings.ACTIVATION_TIMEOUT_SECONDS = 3600
    deactivated = make_user(email="owner@example.com")
    deactivated.is_active = False
    deactivated.save()
    _joined(deactivated, timedelta(days=30))

    assert api.post(REGISTER, register_body("owner@example.com")).status_code == 400
    assert User.objects.filter(pk=deactivated.pk).exists()
