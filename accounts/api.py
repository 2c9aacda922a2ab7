"""The auth routes of the contract. None of them uses `jwt_auth`: they are public, so a
stale or forged cookie can never turn them into a 401."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from ninja import Cookie, Router, Status
from ninja.errors import HttpError, Throttled
from ninja.errors import ValidationError as RequestValidationError

from accounts import services, throttling
from accounts.auth import refuse_cross_site_write
from accounts.cookies import delete_auth_cookies, set_auth_cookies
from accounts.models import User
from accounts.schemas import (
    DetailOut,
    LoginIn,
    LoginOut,
    MessageOut,
    PasswordConfirmIn,
    PasswordResetIn,
    RegisterIn,
    RegisterOut,
    TokenRefreshOut,
)
from videoflix.errors import ErrorOut, FieldErrorsOut

router = Router(tags=["auth"])

REFRESH_COOKIE = Cookie(
    None, alias=settings.AUTH_COOKIE_REFRESH, description="The refresh token set at login."
)
MISSING_REFRESH_COOKIE = "No refresh token cookie was sent."


@contextmanager
def _refusals_as_http(status: int = 400) -> Iterator[None]:
    """Service refusals in the contract's error shape (field messages as `errors`)."""
    try:
        yield
    except ValidationError as error:
        raise RequestValidationError(
            [
                {"loc": (field,), "msg": message}
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        ) from error
    except services.AccountError as error:
        raise HttpError(status, str(error)) from error


def _counters(request: HttpRequest, action: str, email: str | None = None) -> list[tuple[str, str]]:
    """The client IP's counter for `action`; with an email also the (IP, email) counter and
    the email's own, a ceiling across all addresses set high enough that strangers cannot
    easily reach it (see SECURITY.md)."""
    ip = throttling.client_ip(request)
    counters = [(f"{action}_ip", ip)]
    if email is not None:
        email = User.objects.normalize_email(email)
        counters += [(f"{action}_ip_email", f"{ip} {email}"), (f"{action}_email", email)]
    return counters


def _refuse_if(retry_after: int | None) -> None:
    """Raise Throttled (a 429 with Retry-After) when there is a wait."""
    if retry_after is not None:
        raise Throttled(wait=retry_after)


def _refuse_if_throttled(request: HttpRequest, action: str, email: str | None = None) -> None:
    """Count this attempt at `action`; refuse once one of its counters is used up."""
    _refuse_if(throttling.first_refusal(*_counters(request, action, email)))


@router.post(
    "/register/",
    response={201: RegisterOut, 400: FieldErrorsOut, 415: ErrorOut, 429: ErrorOut},
    summary="Create an inactive account and mail its activation link",
)
def register(request: HttpRequest, payload: RegisterIn):
    _refuse_if_throttled(request, "register")
    with _refusals_as_http():
        user = services.user_register(email=payload.email, password=payload.password)
    return Status(201, {"user": {"id": user.pk, "email": user.email}})


@router.get(
    "/activate/{uidb64}/{token}/",
    response={200: MessageOut, 400: ErrorOut},
    summary="Activate an account through the emailed link",
)
def activate(request: HttpRequest, uidb64: str, token: str):
    with _refusals_as_http():
        services.user_activate(uidb64=uidb64, token=token)
    return Status(200, {"message": "Account successfully activated."})


@router.post(
    "/login/",
    response={200: LoginOut, 400: FieldErrorsOut, 415: ErrorOut, 429: ErrorOut},
    summary="Log in: sets the access_token, refresh_token and csrftoken cookies",
)
def login(request: HttpRequest, payload: LoginIn, response: HttpResponse):
    # Failures are counted, not attempts: strangers' wrong guesses from other addresses
    # never lock the owner out, short of the per-email ceiling.
    counters = _counters(request, "login", payload.email)
    _refuse_if(throttling.exhausted(*counters))
    try:
        user, tokens = services.user_login(
            email=payload.email, password=payload.password, request=request
        )
    except services.InvalidCredentials as error:
        throttling.count_failure(*counters)
        raise HttpError(400, str(error)) from error
    set_auth_cookies(response, access=tokens.access, refresh=tokens.refresh)
    get_token(request)  # makes the CSRF middleware send a fresh, readable csrftoken cookie
    return Status(
        200, {"detail": "Login successful", "user": {"id": user.pk, "username": user.email}}
    )


@router.post(
    "/logout/",
    response={200: DetailOut, 400: ErrorOut, 403: ErrorOut},
    summary="Sign out this login: revoke its tokens and delete both JWT cookies",
)
def logout(
    request: HttpRequest, response: HttpResponse, refresh_token: str | None = REFRESH_COOKIE
):
    refuse_cross_site_write(request)
    if not refresh_token:
        raise HttpError(400, MISSING_REFRESH_COOKIE)
    services.refresh_token_revoke(refresh=refresh_token)
    delete_auth_cookies(response)
    return Status(
        200,
        {"detail": "Logout successful! All tokens will be deleted. Refresh token is now invalid."},
    )


@router.post(
    "/token/refresh/",
    response={200: TokenRefreshOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Spend the refresh token for a new access token and a new refresh token",
)
def token_refresh(
    request: HttpRequest, response: HttpResponse, refresh_token: str | None = REFRESH_COOKIE
):
    refuse_cross_site_write(request)
    if not refresh_token:
        raise HttpError(400, MISSING_REFRESH_COOKIE)
    with _refusals_as_http(status=401):
        tokens = services.refresh_token_rotate(refresh=refresh_token)
    set_auth_cookies(response, access=tokens.access, refresh=tokens.refresh)
    return Status(200, {"detail": "Token refreshed", "access": tokens.access})


@router.post(
    "/password_reset/",
    response={200: DetailOut, 400: FieldErrorsOut, 415: ErrorOut, 429: ErrorOut},
    summary="Mail a password reset link (the answer is the same for unknown emails)",
)
def password_reset(request: HttpRequest, payload: PasswordResetIn):
    _refuse_if_throttled(request, "password_reset", payload.email)
    services.password_reset_request(email=payload.email)
    return Status(200, {"detail": "An email has been sent to reset your password."})


@router.post(
    "/password_confirm/{uidb64}/{token}/",
    response={200: DetailOut, 400: FieldErrorsOut, 415: ErrorOut},
    summary="Set a new password through the emailed link",
)
def password_confirm(request: HttpRequest, uidb64: str, token: str, payload: PasswordConfirmIn):
    with _refusals_as_http():
        services.password_reset_confirm(
            uidb64=uidb64, token=token, new_password=payload.new_password
        )
    return Status(200, {"detail": "Your Password has been successfully reset."})
