"""Protected HLS delivery: master and media playlists, segments and thumbnails.

Every route needs a valid access token (cookie or Bearer), or a staff member's Django
session (the admin's preview player: staff sign in to the admin with a session, not a
JWT), and a video the user may watch (`stream_for_viewer`); file names are checked by
`servable_file` before any file is touched. Playlists use relative URIs, so a player
that loaded the master playlist finds every other file through these same routes.

Thumbnails need the token too. They only ever show in the signed-in catalog, and the
front ends are same-site with the API (127.0.0.1:5500 and :8000: ports do not make
sites), so the SameSite=Lax access cookie travels with the catalog's `<img>` requests.
Public URLs would hand the whole catalog, ids being sequential, to anyone. The price
is browser-only caching (`private`, revalidated by ETag) and, for a front end on
another site, AUTH_COOKIE_SAMESITE=None.
"""

import hashlib
import mimetypes
import os
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import register_converter
from ninja import Router
from ninja.errors import HttpError
from ninja.security import django_auth_is_staff

from accounts.auth import jwt_auth
from catalog.outputs import ServableFile, live_dir, servable_file
from catalog.streaminfo import StreamInfo
from catalog.subtitles import subtitle_tracks
from streaming.links import segment_links_for
from streaming.paths import is_resolution, is_segment, is_sprite
from streaming.playlists import playlist_for_sibling_url, playlist_with_version
from streaming.responses import bytes_response, file_response, file_version
from streaming.selectors import rung_for_request, stream_for_viewer
from streaming.subtitles import master_with_subtitles
from videoflix.errors import ErrorOut

# The token first: viewers' requests never touch the session. Only staff sessions count, so
# the admin's login opens nothing to anyone else, and every route here is a GET or HEAD, which
# no CSRF check concerns (ninja's session auth would check one for a write).
VIEWER_AUTH = [jwt_auth, django_auth_is_staff]
router = Router(tags=["streaming"], auth=VIEWER_AUTH)

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/MP2T"
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})

# Browser caches only ("private": each answer depends on who asks). A segment's bytes
# change only when a re-transcode replaces the whole ladder, so a day is safe enough;
# playlists stay short so unpublishing and re-transcodes reach players quickly.
SEGMENT_CACHE = "private, max-age=86400"
# Revalidated on every load (cheap 304s) so a logged-out player cannot play on from its cache.
PLAYLIST_CACHE = "private, no-cache"
THUMBNAIL_CACHE = "private, max-age=3600"

VIDEO_NOT_FOUND = "Video not found."
SEGMENT_NOT_FOUND = "Video segment not found."
THUMBNAIL_NOT_FOUND = "Thumbnail not found."
STORYBOARD_NOT_FOUND = "Storyboard not found."
STORYBOARD_TYPE = "text/vtt"
VARIANT_PLAYLIST = "index.m3u8"
IFRAME_PLAYLIST = "iframes.m3u8"
STORYBOARD_INDEX = "storyboard.vtt"
STORYBOARD_FOLDER = "storyboard"

_FILE_RESPONSES = {
    200: None,
    206: None,
    304: None,
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    412: ErrorOut,
    416: ErrorOut,
}


def _file_route(
    path: str, url_name: str, *content_types: str, on: Router = router, **documentation
):
    """Register a file view on router `on` for GET (documented when it names `content_types`)
    and HEAD.

    HEAD stays out of the OpenAPI document so each operation id appears once.
    """
    openapi = {"include_in_schema": False}
    if content_types:
        binary = {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in content_types
        }
        extra = {"responses": {200: {"content": binary}, 206: {"content": binary}}}
        openapi = {"openapi_extra": extra, **documentation}

    def register(view):
        on.get(path, url_name=url_name, response=_FILE_RESPONSES, **openapi)(view)
        on.api_operation(
            ["HEAD"], path, url_name=url_name, response=_FILE_RESPONSES, include_in_schema=False
        )(view)
        return view

    return register


def _viewable(request: HttpRequest, video_id: int) -> StreamInfo:
    info = stream_for_viewer(video_id=video_id, user=request.auth)
    if info is None:
        raise HttpError(404, VIDEO_NOT_FOUND)
    return info


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _hls_file(video_id: int, name: str) -> ServableFile:
    file = servable_file(_media_root(), live_dir(video_id), name)
    if file is None:
        raise HttpError(404, SEGMENT_NOT_FOUND)
    return file


@_file_route(
    "video/{video_id}/master.m3u8",
    "video_master",
    PLAYLIST_TYPE,
    summary="Adaptive master playlist",
)
def video_master(request: HttpRequest, video_id: int) -> HttpResponseBase:
    info = _viewable(request, video_id)
    file = _hls_file(video_id, "master.m3u8")
    subtitles = subtitle_tracks(info).tracks
    if not subtitles:
        return file_response(
            request, file, content_type=PLAYLIST_TYPE, cache_control=PLAYLIST_CACHE
        )
    # The tracks join the playlist the transcode wrote (streaming.subtitles).
    master, stat = _read_playlist(file)
    versions = "-".join(track.version for track in subtitles)
    etag = f"{file_version(stat)}-{hashlib.sha256(versions.encode()).hexdigest()[:12]}"
    return bytes_response(
        request,
        master_with_subtitles(master, subtitles),
        etag=f'"{etag}"',
        last_modified=max(int(stat.st_mtime), *(track.modified for track in subtitles)),
        content_type=PLAYLIST_TYPE,
        cache_control=PLAYLIST_CACHE,
    )


def _read_playlist(file: ServableFile) -> tuple[bytes, os.stat_result]:
    """A playlist's bytes and the stat of the very file read: small by nature (a line or two
    per segment or rung), so it is rewritten in memory."""
    try:
        with open(file.path, "rb") as handle:
            return handle.read(), os.fstat(handle.fileno())
    except OSError:
        raise HttpError(404, SEGMENT_NOT_FOUND) from None


@_file_route(
    "video/{video_id}/{resolution}/index.m3u8",
    "video_variant",
    PLAYLIST_TYPE,
    summary="Media playlist of one rung",
    description=(
        "`resolution` matches `^\\d{3,4}p$`. A rung above the video's best one answers "
        "with the best rung's playlist, its segment URIs pointing at that rung; a missing "
        "rung below or between existing ones is 404."
    ),
)
def video_variant(request: HttpRequest, video_id: int, resolution: str) -> HttpResponseBase:
    return _rung_playlist(request, video_id, resolution, VARIANT_PLAYLIST)


@_file_route(
    "video/{video_id}/{resolution}/iframes.m3u8",
    "video_iframes",
    PLAYLIST_TYPE,
    summary="I-frame-only playlist of one rung",
    description=(
        "Byte ranges of the rung's keyframes inside its segments, for scrubbing and fast "
        "forward; listed in the master playlist with `EXT-X-I-FRAME-STREAM-INF`. Same rules "
        "as the rung's media playlist, including the answer for a rung above the best one."
    ),
)
def video_iframes(request: HttpRequest, video_id: int, resolution: str) -> HttpResponseBase:
    return _rung_playlist(request, video_id, resolution, IFRAME_PLAYLIST)


def _rung_playlist(
    request: HttpRequest, video_id: int, resolution: str, name: str
) -> HttpResponseBase:
    """A media playlist of the rung answering for `resolution`, its segment URIs pointing
    at that rung, signed when links are on, and naming the output's version."""
    if not is_resolution(resolution):
        raise HttpError(404, SEGMENT_NOT_FOUND)
    info = _viewable(request, video_id)
    rung = rung_for_request(resolution, info.renditions)
    if rung is None:
        raise HttpError(404, SEGMENT_NOT_FOUND)
    playlist, stat = _read_playlist(_hls_file(video_id, f"{rung}/{name}"))
    output_version = file_version(stat)
    etag = output_version
    if rung != resolution:
        playlist = playlist_for_sibling_url(playlist, rung)
        etag += f"-{rung}"
    links = segment_links_for(request)
    if links is not None:
        playlist = links.sign(playlist, request.path)
        etag += f"-{links.version}"
    playlist = playlist_with_version(playlist, output_version)
    return bytes_response(
        request,
        playlist,
        etag=f'"{etag}"',
        last_modified=int(stat.st_mtime),
        content_type=PLAYLIST_TYPE,
        cache_control=PLAYLIST_CACHE,
    )


@_file_route(
    "video/{video_id}/storyboard.vtt",
    "video_storyboard",
    STORYBOARD_TYPE,
    summary="Storyboard: scrubbing previews",
    description=(
        "WebVTT cues mapping time ranges to tiles of JPEG sprites "
        "(`storyboard/spriteNNN.jpg#xywh=x,y,w,h`, relative to this URL). Same access rule "
        "as the thumbnail."
    ),
)
def video_storyboard(request: HttpRequest, video_id: int) -> HttpResponseBase:
    _viewable(request, video_id)
    return file_response(
        request,
        _storyboard_file(video_id, STORYBOARD_INDEX),
        content_type=STORYBOARD_TYPE,
        cache_control=PLAYLIST_CACHE,
    )


@_file_route(
    "video/{video_id}/storyboard/{sprite}",
    "video_storyboard_sprite",
    "image/jpeg",
    summary="One storyboard sprite",
    description="`sprite` matches `^sprite[0-9]{3,6}\\.jpg$`, as named by the storyboard.",
)
def video_storyboard_sprite(request: HttpRequest, video_id: int, sprite: str) -> HttpResponseBase:
    if not is_sprite(sprite):
        raise HttpError(404, STORYBOARD_NOT_FOUND)
    _viewable(request, video_id)
    # Revalidated like the index: a re-transcode writes new sprites under the same names.
    return file_response(
        request,
        _storyboard_file(video_id, f"{STORYBOARD_FOLDER}/{sprite}"),
        content_type="image/jpeg",
        cache_control=PLAYLIST_CACHE,
        offload=True,
    )


def _storyboard_file(video_id: int, name: str) -> ServableFile:
    file = servable_file(_media_root(), live_dir(video_id), name)
    if file is None:
        raise HttpError(404, STORYBOARD_NOT_FOUND)
    return file


@_file_route(
    "video/{video_id}/{resolution}/{segment}/",
    "video_segment",
    SEGMENT_TYPE,
    summary="One MPEG-TS segment",
    description=(
        "`segment` matches `^[A-Za-z0-9_-]{1,64}\\.ts$`. Also answers without the trailing "
        "slash (no redirect), which is how players resolve the playlists' relative URIs."
    ),
)
@_file_route("video/{video_id}/{resolution}/{segment}", "video_segment_without_slash")
def video_segment(
    request: HttpRequest, video_id: int, resolution: str, segment: str
) -> HttpResponseBase:
    if not (is_resolution(resolution) and is_segment(segment)):
        raise HttpError(404, SEGMENT_NOT_FOUND)
    _viewable(request, video_id)
    return file_response(
        request,
        _hls_file(video_id, f"{resolution}/{segment}"),
        content_type=SEGMENT_TYPE,
        cache_control=SEGMENT_CACHE,
        offload=True,
    )


@_file_route(
    "video/{video_id}/thumbnail.jpg",
    "video_thumbnail",
    *sorted(THUMBNAIL_TYPES),
    summary="Thumbnail image",
    description=(
        "Same access rule as the stream: the access cookie travels with the catalog's "
        "`<img>` requests because the front ends are same-site."
    ),
)
def video_thumbnail(request: HttpRequest, video_id: int) -> HttpResponseBase:
    info = _viewable(request, video_id)
    # An uploaded thumbnail wins over the one the transcode extracted.
    if info.thumbnail:
        file = servable_file(_media_root(), _media_root(), info.thumbnail)
    else:
        file = servable_file(_media_root(), live_dir(video_id), "thumbnail.jpg")
    content_type = file and mimetypes.guess_type(file.path.name)[0]
    if content_type not in THUMBNAIL_TYPES:
        raise HttpError(404, THUMBNAIL_NOT_FOUND)
    return file_response(
        request, file, content_type=content_type, cache_control=THUMBNAIL_CACHE, offload=True
    )


class _NestedPathConverter:
    """A path with a slash inside it: what is left below /video/<id>/ for nothing else."""

    regex = r"[^/]*/.+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_NestedPathConverter, "nested_path")


@router.api_operation(
    ["GET", "HEAD"],
    "video/{video_id}/{nested_path:rest}",
    response={401: ErrorOut, 404: ErrorOut},
    include_in_schema=False,
)
def video_file_elsewhere(request: HttpRequest, video_id: int, rest: str) -> HttpResponseBase:
    """Deeper paths no route above matched (a decoded `..%2F`, `//etc/passwd`) get the
    contract's JSON 404 instead of Django's HTML page; it must stay the last video route."""
    raise HttpError(404, SEGMENT_NOT_FOUND)
