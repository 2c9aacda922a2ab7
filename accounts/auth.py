"""The one authentication class for every private route of every app.

Browsers send the JWT in the HTTP-only `access_token` cookie; other clients may send
`Authorization: Bearer <jwt>`. Public routes simply don't use this class, so a stale
cookie can never turn them into a 401.

It runs on every segment request of every viewer, so it costs no query in the usual
case: a token string verified once is remembered with its claims until it expires
(the same string always verifies the same way), and the active user behind it comes
from the "hot" cache, dropped whenever that user is saved or deleted
(`accounts.signals`). A token counts only while it carries the user's current
credential version: logout and every password change raise it.

Cookies are sent by browsers on their own, so a write authenticated by cookie must
also pass Django's CSRF check (trusted Origin or Referer, and the `X-CSRFToken` header
matching the `csrftoken` cookie). A Bearer header is never sent on its own: exempt.
"""

import functools
import time
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja.errors import HttpError
from ninja.security.base import AuthBase
from ninja.utils import check_csrf
from ninja_jwt.exceptions import TokenError
from ninja_jwt.tokens import AccessToken

# Tokens are a few hundred bytes; 4096 of them are about as many viewers per process.
VERIFIED_TOKENS_KEPT = 4096
# Claims we add to every token pair (accounts.services.token_pair_issue).
CREDENTIAL_VERSION_CLAIM = "cv"
FAMILY_CLAIM = "family"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class JWTAuth(AuthBase):
    openapi_type = "apiKey"

    def __init__(self):
        # Set before AuthBase builds the OpenAPI security scheme from them.
        self.openapi_in = "cookie"
        self.openapi_name = settings.AUTH_COOKIE_ACCESS
        super().__init__()

    def raw_token(self, request: HttpRequest) -> str | None:
        """The token this request presents: the Bearer header first, else the cookie.

        A Cookie header naming the access cookie twice presents none: proxies and caches
        in front (nginx reads the first, Django the last) must never disagree on it.
        """
        if cookie_named_twice(request.META.get("HTTP_COOKIE", ""), settings.AUTH_COOKIE_ACCESS):
            return None
        return presented_token(request.headers.get("Authorization", ""), request.COOKIES)

    def __call__(self, request: HttpRequest):
        raw = self.raw_token(request)
        if not raw:
            return None
        claims = verified_claims(raw)
        user = active_user(claims[0]) if claims else None
        if user is None or user.credential_version != claims[2] or user.is_signed_out(claims[3]):
            return None
        if not bearer_credentials(request.headers.get("Authorization", "")):
            refuse_cross_site_write(request)
        request.user = user
        return user


def cookie_named_twice(cookie_header: str, name: str) -> bool:
    """Whether the header names the cookie more than once, split as Django parses it."""
    names = (chunk.partition("=")[0].strip() for chunk in cookie_header.split(";"))
    return sum(found == name for found in names) > 1


def refuse_cross_site_write(request: HttpRequest) -> None:
    """Raise a 403 when an unsafe request fails Django's CSRF check (CsrfViewMiddleware)."""
    if request.method in SAFE_METHODS:
        return
    try:
        # Django looks for the token in a POST's form fields too, parsing the body.
        refused = check_csrf(request) is not None
    except MultiPartParserError:
        raise HttpError(400, "The request body is malformed multipart form data.") from None
    if refused:
        raise HttpError(
            403,
            "CSRF check failed: send X-CSRFToken with the csrftoken cookie's value, "
            "from a trusted origin.",
        )


def bearer_credentials(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def presented_token(authorization: str, cookies: Mapping[str, str]) -> str | None:
    """The token of an Authorization header's Bearer credentials, else of the access cookie."""
    return bearer_credentials(authorization) or cookies.get(settings.AUTH_COOKIE_ACCESS) or None


def verified_claims(raw: str) -> tuple[object, float, int, str | None] | None:
    """(user id, expiry as a Unix time, credential version, login family) of a valid,
    unexpired access token, else None."""
    try:
        claims = _verified_claims(raw)
    except (TokenError, KeyError):
        return None
    return claims if time.time() < claims[1] else None


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_claims(raw: str) -> tuple[object, float, int, str | None]:
    """Signature, type and expiry checked once per token string; failures are not kept.

    A token without a version was issued before versions existed: it counts as version 0.
    """
    token = AccessToken(raw)
    return (
        token["user_id"],
        float(token["exp"]),
        token.get(CREDENTIAL_VERSION_CLAIM, 0),
        token.get(FAMILY_CLAIM),
    )


def user_cache_key(user_id) -> str:
    return f"accounts:auth-user:{user_id}"


def active_user(user_id):
    """The active user with this id, from the hot cache or one indexed query; else None."""
    user = caches["hot"].get(user_cache_key(user_id))
    if user is not None:
        return user
    user_model = get_user_model()
    try:
        user = user_model.objects.get(pk=user_id, is_active=True)
    except (user_model.DoesNotExist, ValueError, TypeError):
        return None
    caches["hot"].set(user_cache_key(user_id), user, settings.AUTH_USER_CACHE_SECONDS)
    return user


def forget_user(user_id) -> None:
    caches["hot"].delete(user_cache_key(user_id))


jwt_auth = JWTAuth()
