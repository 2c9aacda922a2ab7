"""One-time link tokens for account activation and password reset.

Both are Django's HMAC tokens (`<timestamp>-<hmac>`), with no database row: a token
dies when the user state it was signed over changes, or when its lifetime is over.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode


class ExpiringTokenGenerator(DjangoTokenGenerator):
    """Django's generator, with the lifetime read from the setting named `lifetime_setting`.

    Django's own `check_token` always applies PASSWORD_RESET_TIMEOUT; activation
    links need their own lifetime, so the check is restated here around the same
    signature helper.
    """

    lifetime_setting: str

    @property
    def lifetime_seconds(self) -> int:
        return getattr(settings, self.lifetime_setting)

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        timestamp_b36, separator, _ = token.partition("-")
        if not separator:
            return False
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > self.lifetime_seconds:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


class ActivationTokenGenerator(ExpiringTokenGenerator):
    """Valid until the account is first activated: that spends every activation link for good,
    so an account staff deactivate later is not revived by an old link."""

    key_salt = "accounts.tokens.ActivationTokenGenerator"
    lifetime_setting = "ACTIVATION_TIMEOUT_SECONDS"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.is_active}{user.activated_at}{user.email}{timestamp}"


class PasswordResetTokenGenerator(ExpiringTokenGenerator):
    """Signed over the password hash and last login: setting a new password spends the link."""

    key_salt = "accounts.tokens.PasswordResetTokenGenerator"
    lifetime_setting = "PASSWORD_RESET_TIMEOUT"


activation_token_generator = ActivationTokenGenerator()
password_reset_token_generator = PasswordResetTokenGenerator()


def uid_encode(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def uid_decode(uidb64: str) -> int | None:
    """The primary key carried in a link, or None when the text does not hold one."""
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
