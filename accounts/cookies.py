"""The JWT cookies: set at login and refresh, deleted at logout, always with the same flags.

A browser only deletes a cookie when the deleting Set-Cookie names the same path and
domain, so setting and deleting go through one writer.
"""

from django.conf import settings
from django.http import HttpResponse
from ninja_jwt.settings import api_settings


def _write(response: HttpResponse, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        domain=settings.AUTH_COOKIE_DOMAIN,
        secure=settings.AUTH_COOKIE_SECURE,
        httponly=True,
        samesite=settings.AUTH_COOKIE_SAMESITE,
    )


def set_auth_cookies(response: HttpResponse, *, access: str, refresh: str) -> None:
    """Each cookie lives exactly as long as the token it carries."""
    _write(
        response,
        settings.AUTH_COOKIE_ACCESS,
        access,
        max_age=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    )
    _write(
        response,
        settings.AUTH_COOKIE_REFRESH,
        refresh,
        max_age=int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
    )


def delete_auth_cookies(response: HttpResponse) -> None:
    for name in (settings.AUTH_COOKIE_ACCESS, settings.AUTH_COOKIE_REFRESH):
        _write(response, name, "", max_age=0)
