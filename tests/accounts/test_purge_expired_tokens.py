"""The periodic `purge_expired_tokens` Huey task."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tasks import purge_expired_tokens

pytestmark = pytest.mark.django_db


def outstanding(user, jti: str, expires_in: timedelta, *, blacklisted: bool) -> OutstandingToken:
    token = OutstandingToken.objects.create(
        user=user, jti=jti, token=f"token-{jti}", expires_at=timezone.now() + expires_in
    )
    if blacklisted:
        BlacklistedToken.objects.create(token=token)
    return token


def test_expired_tokens_go_with_their_blacklist_entries_and_live_ones_stay(user):
    outstanding(user, "expired", -timedelta(seconds=1), blacklisted=False)
    outstanding(user, "expired-blacklisted", -timedelta(days=3), blacklisted=True)
    outstanding(user, "live", timedelta(days=1), blacklisted=False)
    outstanding(user, "live-blacklisted", timedelta(hours=1), blacklisted=True)

    purge_expired_tokens.call_local()

    assert set(OutstandingToken.objects.values_list("jti", flat=True)) == {
        "live",
        "live-blacklisted",
    }
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == [
        "live-blacklisted"
    ]


def test_the_purge_is_scheduled_once_a_day():
    moments_of_a_week = [
        datetime(2026, 3, day, hour, minute)
        for day in range(1, 8)
        for hour in range(24)
        for minute in (0, 17, 30)
    ]

    due = [
        moment
        for moment in moments_of_a_week
        if any(task.name == "purge_expired_tokens" for task in HUEY.read_periodic(moment))
    ]

    assert len(due) == 7
