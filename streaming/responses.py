"""HTTP delivery of one representation: validators, conditional requests, byte ranges.

Files and in-memory playlists go through the same `_deliver`, so ETag / Last-Modified,
304 / 412, Range / If-Range, 206 / 416, HEAD and Cache-Control behave alike for all.
In X-Accel-Redirect mode Django only authorizes and nginx sends the file with its own
validators and range support.
"""

import os
import re
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from catalog.outputs import ServableFile

_SINGLE_BYTE_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.ASCII | re.IGNORECASE)
_PRECONDITIONS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def file_version(info: os.stat_result) -> str:
    """What tells one version of a file from another: its mtime (ns) and size, in hex.

    The ETag of every file sent and the version a media playlist names in its segment URIs.
    """
    return f"{info.st_mtime_ns:x}-{info.st_size:x}"


class _Unsatisfiable:
    """A Range that asks only for bytes past the end."""


UNSATISFIABLE = _Unsatisfiable()


class BlockFileResponse(FileResponse):
    # The per-chunk cost dominates delivery. Measured under Granian (benchmarks/README.md):
    # 64 KB chunks beat Django's 4 KB default by far and 1 MB chunks clearly, the large
    # buffers being fresh memory for every read rather than reused cache-warm ones.
    block_size = 64 * 1024


class _FileWindow:
    """`length` bytes of an open file from `start`, for FileResponse to stream."""

    def __init__(self, file, start: int, length: int):
        file.seek(start)
        self._file = file
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        chunk = self._file.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._file.close()


def file_response(
    request: HttpRequest,
    file: ServableFile,
    *,
    content_type: str,
    cache_control: str,
    offload: bool = False,
) -> HttpResponseBase:
    """Send a file: by nginx when `offload` and STREAMING_X_ACCEL, else from Python.

    Python never reads the file whole: FileResponse streams it in 64 KB blocks.
    Validators come from the open file, so they always describe the bytes sent.
    """
    if offload and settings.STREAMING_X_ACCEL:
        return _x_accel_response(file, content_type=content_type, cache_control=cache_control)
    try:
        handle = open(file.path, "rb", buffering=0)  # noqa: SIM115 - the response closes it
    except OSError:
        # Replaced or removed since it was found (a re-transcode swapped the folder).
        raise Http404 from None
    try:
        info = os.fstat(handle.fileno())

        def body(start: int, length: int) -> HttpResponseBase:
            # Always a window, even on the whole file: it knows its length (no seek to
            # the end, no extra empty read) and carries no name for a Content-Disposition.
            return BlockFileResponse(_FileWindow(handle, start, length), content_type=content_type)

        response = _deliver(
            request,
            size=info.st_size,
            etag=f'"{file_version(info)}"',
            last_modified=int(info.st_mtime),
            content_type=content_type,
            cache_control=cache_control,
            body=body,
        )
    except BaseException:
        handle.close()
        raise
    if not isinstance(response, FileResponse):
        handle.close()
    return response


def bytes_response(
    request: HttpRequest,
    content: bytes,
    *,
    etag: str,
    last_modified: int,
    content_type: str,
    cache_control: str,
) -> HttpResponseBase:
    """Send a small body built in memory (a rewritten playlist) like a file."""
    return _deliver(
        request,
        size=len(content),
        etag=etag,
        last_modified=last_modified,
        content_type=content_type,
        cache_control=cache_control,
        body=lambda start, length: HttpResponse(
            content[start : start + length], content_type=content_type
        ),
    )


def _deliver(
    request: HttpRequest,
    *,
    size: int,
    etag: str,
    last_modified: int,
    content_type: str,
    cache_control: str,
    body: Callable[[int, int], HttpResponseBase],
) -> HttpResponseBase:
    validators = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": cache_control,
    }
    if any(header in request.META for header in _PRECONDITIONS):
        unchanged = HttpResponse(headers=validators)
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=unchanged
        )
        if conditional.status_code == 412:
            return _error(412, "The file changed since the version the request names.")
        if conditional is not unchanged:
            return conditional

    window = _requested_window(request, size=size, etag=etag, last_modified=last_modified)
    if window is UNSATISFIABLE:
        response = _error(416, "The requested range is not satisfiable.")
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, length = window or (0, size)

    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
    else:
        response = body(start, length)
    if window:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    for name, value in validators.items():
        response[name] = value
    return response


def _requested_window(
    request: HttpRequest, *, size: int, etag: str, last_modified: int
) -> tuple[int, int] | _Unsatisfiable | None:
    """(start, length) of a single satisfiable byte range, UNSATISFIABLE, or None.

    None means "send the whole file": no Range, a Range we may ignore (another unit,
    several ranges, bad syntax; RFC 9110 14.2), or an If-Range that no longer matches.
    """
    header = request.headers.get("Range")
    if not header or not _if_range_holds(request, etag=etag, last_modified=last_modified):
        return None
    match = _SINGLE_BYTE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        start = max(0, size - suffix)
        return start, size - start
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    end = min(int(last), size - 1) if last else size - 1
    return start, end - start + 1


def _if_range_holds(request: HttpRequest, *, etag: str, last_modified: int) -> bool:
    """If-Range: serve the range only if the client's copy is still the current one."""
    validator = request.headers.get("If-Range")
    if validator is None:
        return True
    validator = validator.strip()
    if validator.startswith(('"', "W/")):
        return validator == etag  # strong comparison: a weak tag never matches
    return parse_http_date_safe(validator) == last_modified


def _x_accel_response(file: ServableFile, *, content_type: str, cache_control: str) -> HttpResponse:
    response = HttpResponse(content_type=content_type)
    prefix = settings.STREAMING_X_ACCEL_PREFIX.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(file.media_name)}"
    response["Cache-Control"] = cache_control
    return response


def _error(status: int, detail: str) -> HttpResponse:
    return JsonResponse({"detail": detail}, status=status)
