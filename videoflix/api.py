"""The one NinjaAPI: every app contributes its router; errors take the contract's shape
(`videoflix.errors`)."""

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from accounts.api import router as accounts_router
from catalog.api import router as catalog_router
from streaming.api import router as streaming_router
from videoflix.errors import ErrorOut, install_error_handlers

api = NinjaAPI(
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
api.add_router("", streaming_router)
