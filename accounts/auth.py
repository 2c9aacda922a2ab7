"""The one authentication class for every private route of every app.

Browsers send the JWT in the HTTP-only `access_token` cookie; other clients may send
`Authorization: Bearer <jwt>`. Public routes simply don't use this class, so a stale
cookie can never turn them into a 401.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja.security.base import AuthBase
from ninja_jwt.exceptions import TokenError
from ninja_jwt.tokens import AccessToken


class JWTAuth(AuthBase):
    openapi_type = "apiKey"

    def __init__(self):
        # Set before AuthBase builds the OpenAPI security scheme from them.
        self.openapi_in = "cookie"
        self.openapi_name = settings.AUTH_COOKIE_ACCESS
        super().__init__()

    def _raw_token(self, request: HttpRequest) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return request.COOKIES.get(settings.AUTH_COOKIE_ACCESS) or None

    def __call__(self, request: HttpRequest):
        raw = self._raw_token(request)
        if not raw:
            return None
        try:
            token = AccessToken(raw)
        except TokenError:
            return None
        user_model = get_user_model()
        try:
            user = user_model.objects.get(pk=token["user_id"], is_active=True)
        except (user_model.DoesNotExist, KeyError, ValueError, TypeError):
            return None
        request.user = user
        return user


jwt_auth = JWTAuth()
