"""Request and response bodies of the auth routes.

Front ends post whole forms: fields not named here are ignored, never an error.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import ValidationInfo, field_validator


def _confirmation_matches(value: str, info: ValidationInfo, password_field: str) -> str:
    # A missing or invalid password already has its own error; only compare real values.
    if password_field in info.data and value != info.data[password_field]:
        raise ValueError("The passwords do not match.")
    return value


class RegisterIn(Schema):
    email: str
    password: str
    confirmed_password: str

    @field_validator("email")
    @classmethod
    def email_is_an_address(cls, value: str) -> str:
        value = value.strip()
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("Enter a valid email address.") from None
        return value

    @field_validator("confirmed_password")
    @classmethod
    def confirmation_matches(cls, value: str, info: ValidationInfo) -> str:
        return _confirmation_matches(value, info, "password")


class LoginIn(Schema):
    email: str
    password: str


class PasswordResetIn(Schema):
    email: str


class PasswordConfirmIn(Schema):
    new_password: str
    confirm_password: str

    @field_validator("confirm_password")
    @classmethod
    def confirmation_matches(cls, value: str, info: ValidationInfo) -> str:
        return _confirmation_matches(value, info, "new_password")


class RegisteredUserOut(Schema):
    id: int
    email: str


class RegisterOut(Schema):
    user: RegisteredUserOut


class LoggedInUserOut(Schema):
    id: int
    username: str


class LoginOut(Schema):
    detail: str
    user: LoggedInUserOut


class TokenRefreshOut(Schema):
    detail: str
    access: str


class MessageOut(Schema):
    message: str


class DetailOut(Schema):
    """A success answered with one sentence (errors use `videoflix.errors.ErrorOut`)."""

    detail: str
