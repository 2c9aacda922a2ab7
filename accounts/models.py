import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from ninja_jwt.settings import api_settings
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken

from accounts.auth import FAMILY_CLAIM


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The whole address is lower-cased: email is the login and must be unique as typed."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: self.normalize_email(username)})

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        extra_fields.setdefault("is_active", False)
        return self._create_user(email, password, **extra_fields)

    def unactivated_expired(self) -> models.QuerySet:
        """Accounts never activated whose activation links have all expired.

        Nobody proved they own these addresses: a new registration (or the purge task)
        frees the address, so squatting it lasts at most one activation lifetime.
        """
        joined_before = timezone.now() - timedelta(seconds=settings.ACTIVATION_TIMEOUT_SECONDS)
        return self.filter(is_active=False, activated_at=None, date_joined__lt=joined_before)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_active", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A viewer or staff member; the email address is the login."""

    email = models.EmailField("email address", unique=True)
    is_active = models.BooleanField(
        default=False, help_text="Inactive until the emailed activation link is followed."
    )
    is_staff = models.BooleanField(default=False, help_text="May use the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the account first became active; activation links die with it.",
    )
    credential_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Carried in every JWT; raising it cuts off all tokens issued before.",
    )
    signed_out_logins = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=(
            "Logins (refresh-token families) signed out while access tokens of theirs may "
            "still be alive: family -> Unix time after which none can be."
        ),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def save(self, *args, **kwargs):
        if self.is_active and self.activated_at is None:
            self.activated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "password" in update_fields:
            # set_password raised the version: a save of the password alone must keep it.
            kwargs["update_fields"] = {*update_fields, "credential_version"}
        if update_fields is not None and "is_active" in update_fields:
            kwargs["update_fields"] = {*kwargs["update_fields"], "activated_at"}
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            revoke_refresh_tokens(self)

    def set_password(self, raw_password):
        """Every new password, by any path (reset, admin, command), signs the account out."""
        super().set_password(raw_password)
        if not self._state.adding:
            self.credential_version += 1

    def sign_out_login(self, family: str, *, now: float | None = None) -> None:
        """Cut off one login (the device that asked) and leave the account's others alone:
        its refresh tokens are blacklisted, and its access tokens, which name the family,
        are refused until the last of them has expired anyway. Call with the row locked
        (select_for_update): two logouts at once must not drop each other's entry."""
        now = time.time() if now is None else now
        lifetime = api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()
        still_alive = {
            login: until for login, until in self.signed_out_logins.items() if until > now
        }
        self.signed_out_logins = {**still_alive, family: now + lifetime}
        self.save(update_fields=["signed_out_logins"])
        revoke_refresh_tokens(self, family=family)

    def is_signed_out(self, family: str | None) -> bool:
        return family is not None and family in self.signed_out_logins

    def sign_out_everywhere(self) -> None:
        """Cut off every access token and refresh token issued so far (signed segment links
        die with their short lifetime, streaming.links)."""
        self.credential_version += 1
        self.save(update_fields=["credential_version"])
        revoke_refresh_tokens(self)

    @property
    def username(self) -> str:
        return self.email


def revoke_refresh_tokens(user: User, *, family: str | None = None) -> None:
    """Blacklist the user's live refresh tokens (only those of one login's `family`, if given)."""
    live = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    if family is not None:
        live = [
            row for row in live if RefreshToken(row.token, verify=False).get(FAMILY_CLAIM) == family
        ]
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=row) for row in live], ignore_conflicts=True
    )
