"""Where HTTP errors are shaped: every error the API sends is `{"detail": "<sentence>"}`.

Routers raise `HttpError` (or let a service's refusal become one) and declare each status
with `ErrorOut` in `response={...}`; the handlers below turn every exception into that
body. Field validation adds `"errors": {"field": ["message", ...]}` and answers 400, never
422. Outside the API's routes, Django's 404 / 500 views answer API paths in the same shape.
This module imports nothing of ours, so every app's router may use it.
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

logger = logging.getLogger(__name__)

NOT_FOUND = "Not found."
SERVER_ERROR = "Internal server error."


class ErrorOut(Schema):
    detail: str


class UnsupportedMediaType(HttpError):
    def __init__(self) -> None:
        super().__init__(415, "Send the request body as JSON (Content-Type: application/json).")


class FieldErrorsOut(ErrorOut):
    errors: dict[str, list[str]] | None = None


def _field_name(location: tuple | list) -> str:
    """The last named part of a pydantic location: ("body", "payload", "email") -> "email"."""
    names = [str(part) for part in location if not isinstance(part, int)]
    ignored = {"body", "payload", "query", "path", "form", "cookie", "header", "data"}
    meaningful = [name for name in names if name not in ignored]
    return meaningful[-1] if meaningful else "non_field_errors"


def field_errors_from_validation(errors: list[dict]) -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        by_field.setdefault(_field_name(error.get("loc", ())), []).append(message)
    return by_field


def install_error_handlers(api: NinjaAPI) -> None:
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": "Invalid input.", "errors": field_errors_from_validation(exc.errors)},
            status=400,
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja reports any parser failure as a 400 caused by it; a refusal of our parser's
        # own (415 for another content type, 400 for a NUL) keeps its answer.
        if isinstance(exc.__cause__, HttpError):
            exc = exc.__cause__
        return api.create_response(request, {"detail": exc.message}, status=exc.status_code)

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        detail = f"Too many attempts. Please try again in {exc.wait} seconds."
        response = api.create_response(request, {"detail": detail}, status=429)
        response["Retry-After"] = str(exc.wait)
        return response

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": "Authentication credentials were not provided or are invalid."},
            status=401,
        )

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": NOT_FOUND}, status=404)

    def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return api.create_response(request, {"detail": SERVER_ERROR}, status=500)

    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Exception, on_unexpected_error)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception):
    if _wants_json(request):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest):
    if _wants_json(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500)
    return defaults.server_error(request)
