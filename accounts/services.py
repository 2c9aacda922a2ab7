"""Account writes: registration, activation, login, token rotation, password reset.

Refusals are exceptions without HTTP in them: `AccountError` subclasses carry the
sentence to show, Django's `ValidationError` carries field messages.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja_jwt.exceptions import TokenError
from ninja_jwt.settings import api_settings
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken
from ninja_jwt.utils import datetime_from_epoch

from accounts import tasks
from accounts.auth import CREDENTIAL_VERSION_CLAIM, FAMILY_CLAIM
from accounts.models import User
from accounts.tokens import (
    ExpiringTokenGenerator,
    activation_token_generator,
    password_reset_token_generator,
    uid_decode,
)

# A spent refresh token presented again this soon is a concurrent refresh, not a theft.
CONCURRENT_ROTATION = timedelta(seconds=10)


class AccountError(Exception):
    """A refusal whose message is the sentence shown to the client."""


class RegistrationRefused(AccountError):
    pass


class InvalidLink(AccountError):
    pass


class InvalidCredentials(AccountError):
    pass


class InvalidRefreshToken(AccountError):
    pass


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _validate_password(password: str, *, user: User, field: str) -> None:
    """Django's password validators, their messages reported under the form's field name."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _user_from_link(uidb64: str, token: str, generator: ExpiringTokenGenerator) -> User | None:
    """The user a link was made for, locked so two clicks cannot both spend the link."""
    pk = uid_decode(uidb64)
    if pk is None:
        return None
    user = User.objects.select_for_update().filter(pk=pk).first()
    if user is None or not generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def user_register(*, email: str, password: str) -> User:
    """Create an inactive account and mail its activation link once the row is committed.

    An unactivated account under this address whose links have all expired is replaced:
    nobody proved owning the address, and the real owner must be able to register.
    """
    email = User.objects.normalize_email(email)
    User.objects.unactivated_expired().filter(email=email).delete()
    _validate_password(password, user=User(email=email), field="password")
    try:
        # Hashing before the uniqueness check keeps a taken address as slow as a new one.
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, is_active=False)
    except IntegrityError:
        # One generic sentence: registration must not confirm which addresses have accounts.
        raise RegistrationRefused("Please check your entries and try again.") from None
    transaction.on_commit(partial(tasks.send_account_email, "activation", user.pk))
    return user


@transaction.atomic
def user_activate(*, uidb64: str, token: str) -> User:
    user = _user_from_link(uidb64, token, activation_token_generator)
    if user is None:
        raise InvalidLink("This activation link is invalid, has expired or was already used.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def token_pair_issue(*, user: User, family: str | None = None) -> TokenPair:
    """A new refresh token (recorded as outstanding, so it can be revoked) and its access token.

    Both carry the user's credential version; the refresh token also names its family,
    the login it descends from (a new login starts one).
    """
    refresh = RefreshToken.for_user(user)
    refresh[CREDENTIAL_VERSION_CLAIM] = user.credential_version
    refresh[FAMILY_CLAIM] = family or refresh[api_settings.JTI_CLAIM]
    # for_user recorded the token before these claims: keep the record the token itself.
    OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).update(token=str(refresh))
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def user_login(
    *, email: str, password: str, request: HttpRequest | None = None
) -> tuple[User, TokenPair]:
    """Check the credentials; wrong password, unknown and inactive accounts look the same.

    Django's ModelBackend hashes the password once even when no account has this
    email, so an unknown address takes as long to refuse as a wrong password.
    """
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise InvalidCredentials("Please check your email and password and try again.")
    update_last_login(None, user)
    return user, token_pair_issue(user=user)


def _blacklist_once(token: RefreshToken, user: User | None) -> datetime | None:
    """Blacklist the token; when it already was (spent or revoked), the time it was."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[api_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": str(token),
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    entry, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return None if created else entry.blacklisted_at


class _RefreshTokenSpentOrNot(RefreshToken):
    """Signature, type and expiry checked; the blacklist is left to the caller, who must
    tell a spent token presented again (reuse) from a forged or expired one."""

    def check_blacklist(self) -> None:
        pass


def _decode_refresh(raw: str) -> tuple[RefreshToken | None, User | None]:
    """The verified token (blacklisted or not) and its user, or Nones."""
    try:
        token = _RefreshTokenSpentOrNot(raw)
    except TokenError:
        return None, None
    return token, User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()


def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Spend a refresh token for a new pair of the same login (family).

    A token spent before, presented again, means two parties hold that login's tokens
    (OAuth 2.0 Security BCP, refresh token reuse detection): every token of its family
    is revoked, so the thief's rotated copy dies with the victim's. Except within
    CONCURRENT_ROTATION_SECONDS of the first spending: two tabs of one browser refreshing
    at once send the same token, and the later one is only refused.
    """
    pair = _refresh_token_spend(refresh)
    if pair is None:
        raise InvalidRefreshToken("The refresh token is invalid or has expired.")
    return pair


@transaction.atomic
def _refresh_token_spend(refresh: str) -> TokenPair | None:
    """The new pair, or None for a refusal; returning (not raising) commits a revocation."""
    token, user = _decode_refresh(refresh)
    if token is None or user is None or not user.is_active:
        return None
    if token.get(CREDENTIAL_VERSION_CLAIM, 0) != user.credential_version:
        return None
    spent_at = _blacklist_once(token, user)
    if spent_at is not None:
        family = token.get(FAMILY_CLAIM)
        if timezone.now() - spent_at > CONCURRENT_ROTATION and family is not None:
            _locked(user).sign_out_login(family)
        return None
    return token_pair_issue(user=user, family=token.get(FAMILY_CLAIM))


@transaction.atomic
def refresh_token_revoke(*, refresh: str) -> None:
    """Log out the login this refresh token belongs to: its access tokens, signed links and
    refresh tokens stop working; the account's other logins (other devices) stay signed in.

    A token that is already unusable needs nothing more. A token from before families
    existed names no login, so it signs the whole account out.
    """
    token, user = _decode_refresh(refresh)
    if token is None or user is None or _blacklist_once(token, user) is not None:
        return
    family = token.get(FAMILY_CLAIM)
    if family is None:
        user.sign_out_everywhere()
    else:
        _locked(user).sign_out_login(family)


def _locked(user: User) -> User:
    """The user's row again, locked until the transaction ends."""
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Mail a reset link if an account usable by its owner has this email; say nothing either way.

    Never-activated accounts count: following the link proves owning the address, so
    the owner takes back an address someone else registered (and keeps their password).
    Accounts staff deactivated do not.
    """
    user = (
        User.objects.filter(email=User.objects.normalize_email(email))
        .filter(Q(is_active=True) | Q(activated_at=None))
        .first()
    )
    if user is not None:
        transaction.on_commit(partial(tasks.send_account_email, "password_reset", user.pk))


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> User:
    """Set the new password; that spends the link, signs the account out everywhere
    (`User.set_password`) and activates an account never activated (the link was mailed)."""
    user = _user_from_link(uidb64, token, password_reset_token_generator)
    if user is None:
        raise InvalidLink("This password reset link is invalid, has expired or was already used.")
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.is_active = user.is_active or user.activated_at is None
    user.save(update_fields=["password", "is_active"])
    return user
