"""POST /api/password_reset/ and /api/password_confirm/<uidb64>/<token>/, and the
`password_reset_request` / `password_reset_confirm` services behind them."""

from datetime import timedelta

import pytest
from django.core import mail

from accounts import throttling
from accounts.models import User
from accounts.tokens import activation_token_generator, password_reset_token_generator, uid_encode
from tests.accounts.helpers import NEW_PASSWORD, PASSWORD, link_in_mail, uid_and_token

pytestmark = pytest.mark.django_db

RESET = "/api/password_reset/"
SENT = {"detail": "An email has been sent to reset your password."}
RESET_DONE = {"detail": "Your Password has been successfully reset."}
INVALID_LINK = {"detail": "This password reset link is invalid, has expired or was already used."}


def confirm_path(uid: str, token: str) -> str:
    return f"/api/password_confirm/{uid}/{token}/"


def new_password_body(password: str = NEW_PASSWORD, confirmation: str | None = None) -> dict:
    return {"new_password": password, "confirm_password": confirmation or password}


@pytest.fixture
def mailed_link(api, user) -> tuple[str, str]:
    assert api.post(RESET, {"email": user.email}).status_code == 200
    return uid_and_token(link_in_mail(mail.outbox[-1]))


def test_a_known_email_gets_a_reset_mail_pointing_at_the_front_end(api, user, settings):
    settings.FRONTEND_URL = "https://watch.example"

    response = api.post(RESET, {"email": "Viewer@Example.com"})

    assert response.status_code == 200
    assert response.json() == SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Reset your Videoflix password"
    link = link_in_mail(message)
    assert link.startswith("https://watch.example/pages/auth/confirm_password.html?uid=")
    assert link.replace("&", "&amp;") in message.alternatives[0][0]
    assert "1 hour" in message.body


@pytest.mark.parametrize(
    "email", ["nobody@example.com", "deactivated@example.com", "not an email at all", ""]
)
def test_unknown_or_deactivated_emails_get_the_same_answer_and_no_mail(api, make_user, user, email):
    deactivated = make_user(email="deactivated@example.com")
    deactivated.is_active = False
    deactivated.save()
    known = api.post(RESET, {"email": user.email})
    mail.outbox.clear()

    response = api.post(RESET, {"email": email})

    assert (response.status_code, response.json()) == (known.status_code, known.json())
    assert response.content == known.content
    assert mail.outbox == []


def test_the_mailed_link_sets_the_new_password(api, user, mailed_link):
    response = api.post(confirm_path(*mailed_link), new_password_body())

    assert response.status_code == 200
    assert response.json() == RESET_DONE
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    new_login = api.post("/api/login/", {"email": user.email, "password": NEW_PASSWORD})
    old_login = api.post("/api/login/", {"email": user.email, "password": PASSWORD})
    assert (new_login.status_code, old_login.status_code) == (200, 400)


def test_the_reset_link_is_single_use(api, user, mailed_link):
    assert api.post(confirm_path(*mailed_link), new_password_body()).status_code == 200

    again = api.post(confirm_path(*mailed_link), new_password_body("yet-another-secret-77"))

    assert again.status_code == 400
    assert again.json() == INVALID_LINK
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(api, user, mailed_link, monkeypatch):
    now = password_reset_token_generator._now()
    monkeypatch.setattr(
        password_reset_token_generator, "_now", lambda: now + timedelta(seconds=3601)
    )

    response = api.post(confirm_path(*mailed_link), new_password_body())

    assert response.status_code == 400
    assert response.json() == INVALID_LINK
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_mismatched_passwords_are_a_field_error(api, mailed_link):
    response = api.post(
        confirm_path(*mailed_link), new_password_body(NEW_PASSWORD, "something-different-9")
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"confirm_password": ["The passwords do not match."]}


def test_a_weak_new_password_gets_the_validator_messages_and_keeps_the_link(api, user, mailed_link):
    weak = api.post(confirm_path(*mailed_link), new_password_body("viewer@example"))

    assert weak.status_code == 400
    assert weak.json()["errors"] == {
        "new_password": ["The password is too similar to the email address."]
    }
    assert api.post(confirm_path(*mailed_link), new_password_body()).status_code == 200


@pytest.mark.parametrize(
    ("uid", "token"),
    [("garbage", "garbage"), ("MQ", "1-2"), (uid_encode(10**30), "c1-abcdef")],
)
def test_malformed_reset_links_are_a_400(api, user, uid, token):
    response = api.post(confirm_path(uid, token), new_password_body())

    assert response.status_code == 400
    assert response.json() == INVALID_LINK


def test_an_activation_token_cannot_reset_a_password(api, user):
    token = activation_token_generator.make_token(user)

    response = api.post(confirm_path(uid_encode(user.pk), token), new_password_body())

    assert response.status_code == 400


def test_a_reset_signs_the_account_out_everywhere(api, client, user):
    login = api.post("/api/login/", {"email": user.email, "password": PASSWORD})
    stolen_refresh = login.cookies["refresh_token"].value
    api.post(RESET, {"email": user.email})

    reset = api.post(
        confirm_path(*uid_and_token(link_in_mail(mail.outbox[-1]))), new_password_body()
    )
    client.cookies["refresh_token"] = stolen_refresh

    assert reset.status_code == 200
    assert api.post("/api/token/refresh/").status_code == 401


def test_a_stale_cookie_does_not_turn_the_reset_routes_into_a_401(api, client, user):
    client.cookies["access_token"] = "stale.garbage.token"

    request = api.post(RESET, {"email": user.email})
    uid, token = uid_and_token(link_in_mail(mail.outbox[-1]))
    confirm = api.post(confirm_path(uid, token), new_password_body())

    assert (request.status_code, confirm.status_code) == (200, 200)


def test_reset_requests_are_throttled_per_email(api, user, settings):
    settings.AUTH_THROTTLE_RATES = {
        **settings.AUTH_THROTTLE_RATES,
        "password_reset_email": "2/hour",
    }
    statuses = [
        api.post(RESET, {"email": user.email}, REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(1, 4)
    ]

    assert statuses == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_reset_requests_are_throttled_per_client_ip(api, user, settings):
    rates = {**settings.AUTH_THROTTLE_RATES, "password_reset_ip": "2/hour"}
    settings.AUTH_THROTTLE_RATES = rates
    for n in range(2):
        api.post(RESET, {"email": f"someone{n}@example.com"}, REMOTE_ADDR="192.0.2.50")

    throttled = api.post(RESET, {"email": user.email}, REMOTE_ADDR="192.0.2.50")

    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 3600
    assert mail.outbox == []


def test_the_owner_of_a_squatted_address_takes_it_back_by_reset(api, make_user):
    """Someone registered the address with their own password and never activated it."""
    make_user(email="owner@example.com", password="squatter-secret-1", is_active=False)
    assert api.post(RESET, {"email": "owner@example.com"}).status_code == 200
    uid, token = uid_and_token(link_in_mail(mail.outbox[-1]))

    response = api.post(confirm_path(uid, token), new_password_body())

    assert response.status_code == 200
    owner = User.objects.get(email="owner@example.com")
    assert owner.is_active
    assert owner.check_password(NEW_PASSWORD)
    assert not owner.check_password("squatter-secret-1")


def test_a_reset_link_does_not_reactivate_an_account_staff_deactivated(api, user, mailed_link):
    user.is_active = False
    user.save()

    api.post(confirm_path(*mailed_link), new_password_body())

    user.refresh_from_db()
    assert not user.is_active


def test_a_strangers_reset_requests_do_not_block_the_owners(api, user, monkeypatch):
    monkeypatch.setattr(throttling, "clock", lambda: 6_000_000.0)
    stranger = [
        api.post(RESET, {"email": user.email}, REMOTE_ADDR="203.0.113.66").status_code
        for _ in range(4)
    ]
    mail.outbox.clear()

    owner = api.post(RESET, {"email": user.email}, REMOTE_ADDR="192.0.2.1")

    assert stranger == [200, 200, 200, 429]
    assert owner.status_code == 200
    assert len(mail.outbox) == 1
