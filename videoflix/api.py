"""The one NinjaAPI: every app contributes its router; errors take the contract's shape.

Every error body is `{"detail": "<sentence>"}`; field validation adds
`"errors": {"field": ["message", ...]}` and answers 400, never 422 or 500.
"""

import logging

from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from accounts.api import router as accounts_router
from catalog.api import router as catalog_router
from streaming.api import router as streaming_router

logger = logging.getLogger(__name__)


class UnsupportedMediaType(HttpError):
    def __init__(self) -> None:
        super().__init__(415, "Send the request body as JSON (Content-Type: application/json).")


class JsonOnlyParser(Parser):
    """Reads a body as JSON only when it says it is JSON.

    A page on any site can post `text/plain` without asking CORS first; only a JSON
    content type makes the browser ask, and CORS answers only our front ends.
    """

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise UnsupportedMediaType
        return super().parse_body(request)


api = NinjaAPI(
    parser=JsonOnlyParser(),
    title="Videoflix API",
    version="1.0.0",
    description="Registration, JWT-cookie login, the video catalog and protected HLS streaming.",
    urls_namespace="api",
)


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


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Invalid input.", "errors": field_errors_from_validation(exc.errors)},
        status=400,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja reports any parser failure as a 400 caused by it; a 415 keeps its own answer.
    if isinstance(exc.__cause__, UnsupportedMediaType):
        exc = exc.__cause__
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication credentials were not provided or are invalid."},
        status=401,
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "Internal server error."}, status=500)


class HealthOut(Schema):
    status: str
    database: str


class ErrorOut(Schema):
    detail: str


@api.get("/health/", response={200: HealthOut, 503: ErrorOut}, tags=["health"])
def health(request: HttpRequest):
    """Liveness and database reachability, for container health checks and load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return Status(503, {"detail": "The database is unreachable."})
    return Status(200, {"status": "ok", "database": "ok"})


api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", streaming_router)
