"""The one NinjaAPI: every app contributes its router; errors take the contract's shape
(`videoflix.errors`)."""

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.parser import Parser

from accounts.api import router as accounts_router
from catalog.api import router as catalog_router
from streaming.api import router as streaming_router
from streaming.subtitles_api import router as subtitles_router
from videoflix.errors import ErrorOut, UnsupportedMediaType, install_error_handlers

NUL_IN_TEXT = "Text may not contain NUL characters (\\u0000)."


class JsonOnlyParser(Parser):
    """Reads a body as JSON only when it says it is JSON, and refuses NUL characters in it.

    A page on any site can post `text/plain` without asking CORS first; only a JSON
    content type makes the browser ask, and CORS answers only our front ends.
    PostgreSQL cannot store or compare a NUL in text: left in, it would reach a query and
    fail there as a 500 (Django's forms refuse it the same way). Query parameters are the
    routes' own: an ignored one may hold anything, a searched one is checked where it is used.
    """

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise UnsupportedMediaType
        return _refuse_nul(super().parse_body(request))


def _refuse_nul(value):
    if isinstance(value, str):
        if "\x00" in value:
            raise HttpError(400, NUL_IN_TEXT)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)
    return value


api = NinjaAPI(
    parser=JsonOnlyParser(),
    title="Videoflix API",
    version="1.0.0",
    description="Registration, JWT-cookie login, the video catalog and protected HLS streaming.",
    urls_namespace="api",
)


install_error_handlers(api)


class HealthOut(Schema):
    status: str
    database: str


@api.get("/health/", response={200: HealthOut, 503: ErrorOut}, tags=["health"])
def health(request: HttpRequest):
    """Liveness and database reachability, for container health checks and load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        raise HttpError(503, "The database is unreachable.") from None
    return {"status": "ok", "database": "ok"}


api.add_router("", accounts_router)
api.add_router("", catalog_router)
# Before streaming: its segment route would also match the subtitle paths.
api.add_router("", subtitles_router)
api.add_router("", streaming_router)
