"""The periodic `purge_unactivated_accounts` Huey task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tasks import purge_unactivated_accounts

pytestmark = pytest.mark.django_db


def joined(make_user, email: str, ago: timedelta, **extra) -> User:
    user = make_user(email=email, **extra)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - ago)
    return user


def test_only_never_activated_accounts_past_their_link_lifetime_go(make_user, settings):
    settings.ACTIVATION_TIMEOUT_SECONDS = 3600
    joined(make_user, "expired@example.com", timedelta(seconds=3601), is_active=False)
    joined(make_user, "pending@example.com", timedelta(seconds=3599), is_active=False)
    joined(make_user, "active@example.com", timedelta(days=30))
    deactivated = joined(make_user, "deactivated@example.com", timedelta(days=30))
    deactivated.is_active = False
    deactivated.save()

    assert purge_unactivated_accounts.call_local() == 1

    assert set(User.objects.values_list("email", flat=True)) == {
        "pending@example.com",
        "active@example.com",
        "deactivated@example.com",
    }
