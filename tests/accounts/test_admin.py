"""The user admin: list with search and filters, the activate action, adding a user."""

import pytest

from accounts.models import User
from tests.accounts.helpers import PASSWORD

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_client(client, make_user):
    make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    client.login(email="admin@example.com", password=PASSWORD)
    return client


def listed_emails(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


def test_the_changelist_searches_by_email(admin_client, make_user):
    make_user(email="alice@example.com")
    make_user(email="bob@example.org")

    response = admin_client.get(CHANGELIST, {"q": "example.org"})

    assert response.status_code == 200
    assert listed_emails(response) == {"bob@example.org"}


def test_the_changelist_filters_by_activity(admin_client, make_user):
    make_user(email="waiting@example.com", is_active=False)

    response = admin_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert listed_emails(response) == {"waiting@example.com"}
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert {"is active", "is staff", "superuser status", "date joined", "last login"} <= {
        str(title).lower() for title in filters
    }


def test_the_activate_action_activates_the_selected_accounts(admin_client, make_user):
    waiting = [make_user(email=f"waiting{n}@example.com", is_active=False) for n in range(2)]
    untouched = make_user(email="untouched@example.com", is_active=False)

    response = admin_client.post(
        CHANGELIST,
        {"action": "activate_users", "_selected_action": [user.pk for user in waiting]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Activated 2 account(s)." in response.content.decode()
    assert all(User.objects.get(pk=user.pk).is_active for user in waiting)
    assert not User.objects.get(pk=untouched.pk).is_active


def test_staff_without_the_change_permission_cannot_activate(client, make_user):
    make_user(email="helper@example.com", is_staff=True)
    waiting = make_user(email="waiting@example.com", is_active=False)
    client.login(email="helper@example.com", password=PASSWORD)

    client.post(CHANGELIST, {"action": "activate_users", "_selected_action": [waiting.pk]})

    waiting.refresh_from_db()
    assert not waiting.is_active


def test_adding_a_user_in_the_admin_stores_the_email_lower_cased(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Staff@Example.COM",
            "usable_password": "true",
            "password1": "a-strong-admin-secret",
            "password2": "a-strong-admin-secret",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(email="new.staff@example.com")
    assert created.check_password("a-strong-admin-secret")


def test_the_admin_refuses_an_email_that_differs_only_in_case(admin_client, make_user):
    make_user(email="taken@example.com")

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": "a-strong-admin-secret",
            "password2": "a-strong-admin-secret",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_the_change_page_renders(admin_client, user):
    assert admin_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
