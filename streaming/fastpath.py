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
from django.core.handlers.wsgi import get_str_from_wsgi
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.http import http_date

from accounts.auth import (
    cached_active_user,
    cookie_named_twice,
    presented_token,
    verified_claims,
)
from catalog.outputs import live_dir
from catalog.streaminfo import cached_stream_info
from streaming.api import SEGMENT_CACHE, SEGMENT_TYPE
from streaming.paths import servable_file
from streaming.responses import BlockFileResponse, file_version
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
    """WSGI middleware: plain segment GETs answered here, everything else by `application`.

    Reads the settings it mirrors once, when built (as Django's middleware does).
    """

    def __init__(self, application: WSGIApplication):
        self.application = application
        self.media_root = Path(settings.MEDIA_ROOT)
        self.allowed_origins = frozenset(settings.CORS_ALLOWED_ORIGINS)
        self.allow_credentials = settings.CORS_ALLOW_CREDENTIALS
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        # Django reads X-Forwarded-Host then; the fast path leaves such requests to it.
        self.forwarded_host = settings.USE_X_FORWARDED_HOST
        self.allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not self.allowed_hosts:
            self.allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # as HttpRequest.get_host
        self.host_verdicts: dict[str, bool] = {}
        self.security_headers = {secure: _security_headers(secure) for secure in (False, True)}

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
        secure = self._is_secure(environ)
        if video_id > MAX_VIDEO_ID or not self._host_allowed(environ, secure):
            return None
        if self.ssl_redirect and not secure:
            return None
        # An origin CORS does not list as is: django-cors-headers' finer matching decides.
        origin = environ.get("HTTP_ORIGIN")
        if origin and origin not in self.allowed_origins:
            return None

        cookie_header = get_str_from_wsgi(environ, "HTTP_COOKIE", "")
        if cookie_named_twice(cookie_header, settings.AUTH_COOKIE_ACCESS):
            return None
        token = presented_token(environ.get("HTTP_AUTHORIZATION", ""), parse_cookie(cookie_header))
        claims = verified_claims(token or "")
        user = claims and cached_active_user(claims[0])
        if user and user.credential_version != claims[2]:
            return None
        info = user and cached_stream_info(video_id)
        if not info or not may_watch(info, user):
            return None
        file = servable_file(self.media_root, live_dir(video_id), f"{match[2]}/{match[3]}")
        if file is None:
            return None
        try:
            handle = open(file.path, "rb", buffering=0)  # noqa: SIM115 - the body closes it
        except OSError:
            return None
        stat = os.fstat(handle.fileno())
        headers = [
            ("Content-Type", SEGMENT_TYPE),
            ("Content-Length", str(stat.st_size)),
            ("Accept-Ranges", "bytes"),
            ("ETag", f'"{file_version(stat)}"'),
            ("Last-Modified", http_date(int(stat.st_mtime))),
            ("Cache-Control", SEGMENT_CACHE),
            *self._cors_headers(origin),
            *self.security_headers[secure],
        ]
        return headers, _FileBlocks(handle)

    def _host_allowed(self, environ: dict, secure: bool) -> bool:
        """Whether Django's `HttpRequest.get_host()` would accept this request's host."""
        if self.forwarded_host:
            return False
        host = environ.get("HTTP_HOST")
        if host is None:  # no Host header (HTTP/1.0): the server's name, as Django does
            host, port = environ.get("SERVER_NAME", ""), str(environ.get("SERVER_PORT", ""))
            if port != ("443" if secure else "80"):
                host = f"{host}:{port}"
        verdict = self.host_verdicts.get(host)
        if verdict is None:
            domain, _port = split_domain_port(host)
            verdict = bool(domain) and validate_host(domain, self.allowed_hosts)
            if len(self.host_verdicts) < 64:  # a few real names; junk is judged every time
                self.host_verdicts[host] = verdict
        return verdict

    def _is_secure(self, environ: dict) -> bool:
        """`HttpRequest.is_secure()`: the proxy's header if set and sent, else the scheme."""
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"

    def _cors_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """What django-cors-headers adds for no origin or one of CORS_ALLOWED_ORIGINS."""
        headers = [("Vary", "origin")]
        if origin:
            headers.append(("Access-Control-Allow-Origin", origin))
            if self.allow_credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers


class _FileBlocks:
    """A file's bytes in FileResponse's blocks; the server closes it when done."""

    def __init__(self, handle):
        self._handle = handle

    def __iter__(self) -> Iterator[bytes]:
        read, size = self._handle.read, BlockFileResponse.block_size
        return iter(lambda: read(size), b"")

    def close(self) -> None:
        self._handle.close()


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
