"""`createsuperuser --noinput` from DJANGO_SUPERUSER_* and the demo account command."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Videoflix.Example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-secret")


def test_createsuperuser_noinput_reads_the_email_and_password_from_the_environment(
    superuser_env, client
):
    call_command("createsuperuser", interactive=False, verbosity=0)

    admin = User.objects.get()
    assert admin.email == "admin@videoflix.example"
    assert (admin.is_superuser, admin.is_staff, admin.is_active) == (True, True, True)
    assert admin.check_password("a-long-admin-secret")
    assert client.login(email="ADMIN@videoflix.example", password="a-long-admin-secret")
    assert client.get("/admin/accounts/user/").status_code == 200


def test_createsuperuser_refuses_a_second_account_with_the_same_email(superuser_env, make_user):
    make_user(email="admin@videoflix.example")

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", interactive=False, verbosity=0)


def test_createsuperuser_without_an_email_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)

    with pytest.raises(CommandError, match="email"):
        call_command("createsuperuser", interactive=False, verbosity=0)


def test_the_demo_account_is_created_active_and_can_log_in(api, settings):
    settings.DEMO_ACCOUNT_ENABLED = True
    settings.DEMO_ACCOUNT_EMAIL = "Demo@Videoflix.Local"
    settings.DEMO_ACCOUNT_PASSWORD = "videoflix-demo"

    call_command("create_demo_user", stdout=None)

    response = api.post(
        "/api/login/", {"email": "demo@videoflix.local", "password": "videoflix-demo"}
    )
    assert response.status_code == 200


def test_the_demo_command_resets_an_existing_demo_account(settings, make_user):
    settings.DEMO_ACCOUNT_ENABLED = True
    demo = make_user(email=settings.DEMO_ACCOUNT_EMAIL, is_active=False)

    call_command("create_demo_user")

    demo.refresh_from_db()
    assert demo.is_active
    assert demo.check_password(settings.DEMO_ACCOUNT_PASSWORD)
    assert User.objects.count() == 1


def test_the_demo_command_refuses_when_the_demo_account_is_disabled(settings):
    settings.DEMO_ACCOUNT_ENABLED = False

    with pytest.raises(CommandError, match="disabled"):
        call_command("create_demo_user")
    assert not User.objects.exists()
