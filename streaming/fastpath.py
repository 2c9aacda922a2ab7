"""Segment requests answered in front of Django's request machinery, from memory only.

Segments are nearly every request a player makes, and the middleware stack, URL
resolution and Ninja cost several times what serving one takes. This WSGI layer
answers the common case itself: a plain GET (no Range, no conditional header) of a
segment URL, by a viewer whose verified token, account and video are all in the
caches, for a video that viewer may watch, naming a file `servable_file` accepts, on a
host Django accepts and without an HTTPS redirect due. It sends what Django would
send, headers included (tests/streaming/test_fast_path.py compares the two).

Anything else — a cache miss, a refusal, a range, an odd host — goes to Django
unchanged, which answers it and fills the caches for the next request. So the fast
path never queries the database and never produces an error of its own.
"""

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.utils.http import http_date

from accounts.auth import cached_active_user, jwt_auth, verified_claims
from catalog.outputs import live_dir
from catalog.streaminfo import cached_stream_info
from streaming.api import SEGMENT_CACHE, SEGMENT_TYPE
from streaming.paths import servable_file
from streaming.responses import BlockFileResponse
from streaming.selectors import MAX_VIDEO_ID, may_watch

# The segment route as the contract spells it, with or without its trailing slash.
_SEGMENT_PATH = re.compile(
    r"/api/video/([1-9][0-9]{0,18})/([0-9]{3,4}p)/([A-Za-z0-9_-]{1,64}\.ts)/?", re.ASCII
)
# Django answers these itself: a range, or a conditional request (304 / 412).
_DJANGO_HEADERS = (
    "HTTP_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)

StartResponse = Callable[..., object]
WSGIApplication = Callable[[dict, StartResponse], Iterable[bytes]]


class SegmentFastPath:
    """WSGI middleware: plain segment GETs answered here, everything else by `application`."""

    def __init__(self, application: WSGIApplication):
        self.application = application

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        answer = self.answer(environ)
        if answer is None:
            return self.application(environ, start_response)
        headers, body = answer
        start_response("200 OK", headers)
        return body

    def answer(self, environ: dict) -> tuple[list[tuple[str, str]], "_FileBlocks"] | None:
        """(headers, body) of a 200 for this request, or None to leave it to Django."""
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        match = _SEGMENT_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or any(name in environ for name in _DJANGO_HEADERS):
            return None
        video_id = int(match[1])
        if video_id > MAX_VIDEO_ID:
            return None
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        # An origin CORS does not list as is: django-cors-headers' finer matching decides.
        origin = request.headers.get("Origin")
        if origin and origin not in settings.CORS_ALLOWED_ORIGINS:
            return None

        claims = verified_claims(jwt_auth.raw_token(request) or "")
        user = claims and cached_active_user(claims[0])
        info = user and cached_stream_info(video_id)
        if not info or not may_watch(info, user):
            return None
        file = servable_file(
            Path(settings.MEDIA_ROOT), live_dir(video_id), f"{match[2]}/{match[3]}"
        )
        if file is None:
            return None
        try:
            handle = open(file.path, "rb", buffering=0)  # noqa: SIM115 - the body closes it
        except OSError:
            return None
        info = os.fstat(handle.fileno())
        headers = [
            ("Content-Type", SEGMENT_TYPE),
            ("Content-Length", str(info.st_size)),
            ("Accept-Ranges", "bytes"),
            ("ETag", f'"{info.st_mtime_ns:x}-{info.st_size:x}"'),
            ("Last-Modified", http_date(int(info.st_mtime))),
            ("Cache-Control", SEGMENT_CACHE),
            *_cors_headers(origin),
            *_security_headers(secure),
        ]
        return headers, _FileBlocks(handle)


class _FileBlocks:
    """A file's bytes in FileResponse's blocks; the server closes it when done."""

    def __init__(self, handle):
        self._handle = handle

    def __iter__(self) -> Iterator[bytes]:
        read, size = self._handle.read, BlockFileResponse.block_size
        return iter(lambda: read(size), b"")

    def close(self) -> None:
        self._handle.close()


def _cors_headers(origin: str | None) -> list[tuple[str, str]]:
    """What django-cors-headers adds for no origin or one of CORS_ALLOWED_ORIGINS."""
    headers = [("Vary", "origin")]
    if origin:
        headers.append(("Access-Control-Allow-Origin", origin))
        if settings.CORS_ALLOW_CREDENTIALS:
            headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to every response."""
    headers = []
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append(("Referrer-Policy", policy))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS))
    return headers
