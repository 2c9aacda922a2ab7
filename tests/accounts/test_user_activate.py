"""GET /api/activate/<uidb64>/<token>/ and the `user_activate` service behind it."""

from datetime import timedelta

import pytest
from django.core import mail

from accounts.models import User
from accounts.tokens import activation_token_generator, password_reset_token_generator, uid_encode
from tests.accounts.helpers import PASSWORD, link_in_mail, register_body, uid_and_token

pytestmark = pytest.mark.django_db

INVALID_LINK = {"detail": "This activation link is invalid, has expired or was already used."}


def activate_path(uid: str, token: str) -> str:
    return f"/api/activate/{uid}/{token}/"


@pytest.fixture
def mailed_link(api) -> tuple[str, str]:
    """uid and token of the activation mail sent by a real registration."""
    assert api.post("/api/register/", register_body("new.viewer@example.com")).status_code == 201
    return uid_and_token(link_in_mail(mail.outbox[-1]))


def test_the_mailed_link_activates_the_account_which_can_then_log_in(api, mailed_link):
    before = api.post("/api/login/", {"email": "new.viewer@example.com", "password": PASSWORD})

    response = api.get(activate_path(*mailed_link))

    assert response.status_code == 200
    assert response.json() == {"message": "Account successfully activated."}
    assert User.objects.get(email="new.viewer@example.com").is_active
    after = api.post("/api/login/", {"email": "new.viewer@example.com", "password": PASSWORD})
    assert (before.status_code, after.status_code) == (400, 200)


def test_the_activation_link_is_single_use(api, mailed_link):
    assert api.get(activate_path(*mailed_link)).status_code == 200

    again = api.get(activate_path(*mailed_link))

    assert again.status_code == 400
    assert again.json() == INVALID_LINK


def test_an_expired_activation_link_is_refused(api, mailed_link, settings, monkeypatch):
    settings.ACTIVATION_TIMEOUT_SECONDS = 3600
    issued_now = activation_token_generator._now()
    monkeypatch.setattr(
        activation_token_generator, "_now", lambda: issued_now + timedelta(seconds=3601)
    )

    response = api.get(activate_path(*mailed_link))

    assert response.status_code == 400
    assert response.json() == INVALID_LINK
    assert not User.objects.get(email="new.viewer@example.com").is_active


def test_a_link_for_one_account_does_not_activate_another(api, make_user, mailed_link):
    other = make_user(email="other@example.com", is_active=False)
    _, token = mailed_link

    response = api.get(activate_path(uid_encode(other.pk), token))

    assert response.status_code == 400
    other.refresh_from_db()
    assert not other.is_active


def test_a_password_reset_token_is_no_activation_token(api, make_user):
    user = make_user(is_active=False)

    response = api.get(
        activate_path(uid_encode(user.pk), password_reset_token_generator.make_token(user))
    )

    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("garbage", "garbage"),
        ("!!!!", "1-2"),
        ("MQ", "not-a-token"),
        ("MQ", "zzzzzzzzzzzzzzzzzz-abc"),
        (uid_encode(999999), "c1-abcdef"),
        (uid_encode(10**30), "c1-abcdef"),
        ("bm90LWEtbnVtYmVy", "c1-abcdef"),  # base64 of "not-a-number"
        ("_w", "c1-abcdef"),  # decodes to a byte that is no UTF-8
    ],
)
def test_malformed_links_are_a_400_never_a_500(api, make_user, uid, token):
    make_user(is_active=False)

    response = api.get(activate_path(uid, token))

    assert response.status_code == 400
    assert response.json() == INVALID_LINK


def test_a_stale_cookie_does_not_turn_activation_into_a_401(api, client, mailed_link):
    client.cookies["access_token"] = "stale.garbage.token"
    client.cookies["refresh_token"] = "stale.garbage.token"

    assert api.get(activate_path(*mailed_link)).status_code == 200


def test_an_old_link_does_not_revive_an_account_staff_deactivated(api, mailed_link):
    assert api.get(activate_path(*mailed_link)).status_code == 200
    account = User.objects.get(email="new.viewer@example.com")
    account.is_active = False
    account.save()

    response = api.get(activate_path(*mailed_link))

    assert response.status_code == 400
    assert not User.objects.get(email="new.viewer@example.com").is_active


def test_the_admin_activate_action_also_spends_the_links(api, mailed_link, make_user, client):
    make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    client.login(email="admin@example.com", password=PASSWORD)
    account = User.objects.get(email="new.viewer@example.com")
    client.post(
        "/admin/accounts/user/", {"action": "activate_users", "_selected_action": [account.pk]}
    )
    account.refresh_from_db()
    account.is_active = False
    account.save()

    assert api.get(activate_path(*mailed_link)).status_code == 400
