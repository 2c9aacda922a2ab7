"""The link token generators: lifetimes from settings, spent by the state change they guard."""

from datetime import datetime, timedelta

import pytest

from accounts.tokens import (
    activation_token_generator,
    password_reset_token_generator,
    uid_decode,
    uid_encode,
)

pytestmark = pytest.mark.django_db


# The generators' clock stands still from before a token is made, so its age is exact.
ISSUED = datetime(2026, 3, 1, 12, 0, 0)


@pytest.fixture(autouse=True)
def _tokens_issued_at_a_fixed_moment(monkeypatch):
    for generator in (activation_token_generator, password_reset_token_generator):
        monkeypatch.setattr(generator, "_now", lambda: ISSUED)


def age_tokens_by(monkeypatch, generator, seconds: int) -> None:
    monkeypatch.setattr(generator, "_now", lambda: ISSUED + timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("generator", "setting"),
    [
        (activation_token_generator, "ACTIVATION_TIMEOUT_SECONDS"),
        (password_reset_token_generator, "PASSWORD_RESET_TIMEOUT"),
    ],
)
def test_each_lifetime_comes_from_its_setting(monkeypatch, settings, make_user, generator, setting):
    user = make_user(is_active=generator is password_reset_token_generator)
    token = generator.make_token(user)
    setattr(settings, setting, 600)

    age_tokens_by(monkeypatch, generator, 600)
    assert generator.check_token(user, token)
    age_tokens_by(monkeypatch, generator, 601)
    assert not generator.check_token(user, token)


def test_activation_links_outlive_the_reset_lifetime(monkeypatch, settings, make_user):
    settings.ACTIVATION_TIMEOUT_SECONDS = 24 * 3600
    settings.PASSWORD_RESET_TIMEOUT = 3600
    user = make_user(is_active=False)
    activation = activation_token_generator.make_token(user)
    reset = password_reset_token_generator.make_token(user)

    age_tokens_by(monkeypatch, activation_token_generator, 2 * 3600)
    age_tokens_by(monkeypatch, password_reset_token_generator, 2 * 3600)

    assert activation_token_generator.check_token(user, activation)
    assert not password_reset_token_generator.check_token(user, reset)


def test_the_default_lifetimes_are_a_day_and_an_hour(settings):
    assert settings.ACTIVATION_TIMEOUT_SECONDS == 24 * 3600
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_activating_spends_the_activation_token(make_user):
    user = make_user(is_active=False)
    token = activation_token_generator.make_token(user)
    assert activation_token_generator.check_token(user, token)

    user.is_active = True

    assert not activation_token_generator.check_token(user, token)


def test_a_new_password_spends_the_reset_token(make_user):
    user = make_user()
    token = password_reset_token_generator.make_token(user)
    assert password_reset_token_generator.check_token(user, token)

    user.set_password("another-fine-secret")

    assert not password_reset_token_generator.check_token(user, token)


def test_tokens_of_one_kind_are_refused_by_the_other(make_user):
    user = make_user(is_active=False)

    assert not password_reset_token_generator.check_token(
        user, activation_token_generator.make_token(user)
    )
    assert not activation_token_generator.check_token(
        user, password_reset_token_generator.make_token(user)
    )


def test_a_token_signed_with_a_retired_secret_still_works(settings, make_user):
    user = make_user()
    settings.SECRET_KEY = "the-old-secret-" * 4
    token = password_reset_token_generator.make_token(user)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = (
        "the-new-secret-" * 4,
        [settings.SECRET_KEY],
    )

    assert password_reset_token_generator.check_token(user, token)


@pytest.mark.parametrize("token", ["", "nodash", "!!-abc", "1-", "1-abc-def"])
def test_malformed_tokens_are_refused(make_user, token):
    assert not password_reset_token_generator.check_token(make_user(), token)


def test_uids_round_trip_and_garbage_decodes_to_none():
    assert uid_decode(uid_encode(42)) == 42
    assert uid_decode("bm90LWEtbnVtYmVy") is None
    assert uid_decode("***") is None
