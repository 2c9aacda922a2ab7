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

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import register_converter
from ninja import Router
from ninja.errors import HttpError
from ninja.security import django_auth_is_staff

from accounts.auth import jwt_auth
from catalog.streaminfo import StreamInfo
from catalog.subtitles import subtitle_tracks
from streaming.delivery import (
    PLAYLIST_TYPE,
    SEGMENT_NOT_FOUND,
    SEGMENT_TYPE,
    STORYBOARD_NOT_FOUND,
    STORYBOARD_TYPE,
    THUMBNAIL_TYPES,
    viewer_delivery,
)
from streaming.paths import is_resolution, is_segment, is_sprite
from streaming.selectors import rung_for_request, stream_for_viewer
from videoflix.errors import ErrorOut

# The token first: viewers' requests never touch the session. Only staff sessions count, so
# the admin's login opens nothing to anyone else, and every route here is a GET or HEAD, which
# no CSRF check concerns (ninja's session auth would check one for a write).
VIEWER_AUTH = [jwt_auth, django_auth_is_staff]
router = Router(tags=["streaming"], auth=VIEWER_AUTH)

VIDEO_NOT_FOUND = "Video not found."
VARIANT_PLAYLIST = "index.m3u8"
IFRAME_PLAYLIST = "iframes.m3u8"
STORYBOARD_INDEX = "storyboard.vtt"

_FILE_RESPONSES = {
    200: None,
    206: None,
    304: None,
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    412: ErrorOut,
    416: ErrorOut,
    503: ErrorOut,  # MEDIA_STORAGE=s3: the bucket cannot be reached
}
# Images in MEDIA_STORAGE=s3: a redirect to the signed URL (never for HLS media).
_IMAGE_RESPONSES = {**_FILE_RESPONSES, 302: None}


def _file_route(
    path: str,
    url_name: str,
    *content_types: str,
    on: Router = router,
    responses=_FILE_RESPONSES,
    **documentation,
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
        on.get(path, url_name=url_name, response=responses, **openapi)(view)
        on.api_operation(
            ["HEAD"], path, url_name=url_name, response=responses, include_in_schema=False
        )(view)
        return view

    return register


def _viewable(request: HttpRequest, video_id: int) -> StreamInfo:
    info = stream_for_viewer(video_id=video_id, user=request.auth)
    if info is None:
        raise HttpError(404, VIDEO_NOT_FOUND)
    return info


@_file_route(
    "video/{video_id}/master.m3u8",
    "video_master",
    PLAYLIST_TYPE,
    summary="Adaptive master playlist",
)
def video_master(request: HttpRequest, video_id: int) -> HttpResponseBase:
    info = _viewable(request, video_id)
    return viewer_delivery().master(request, info, subtitle_tracks(info).tracks)


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
    """The media playlist of the rung answering for `resolution` (the rung-above rule)."""
    if not is_resolution(resolution):
        raise HttpError(404, SEGMENT_NOT_FOUND)
    info = _viewable(request, video_id)
    rung = rung_for_request(resolution, info.renditions)
    if rung is None:
        raise HttpError(404, SEGMENT_NOT_FOUND)
    return viewer_delivery().rung_playlist(request, info, resolution, rung, name)


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
    return viewer_delivery().storyboard(request, _viewable(request, video_id), STORYBOARD_INDEX)


@_file_route(
    "video/{video_id}/storyboard/{sprite}",
    "video_storyboard_sprite",
    "image/jpeg",
    responses=_IMAGE_RESPONSES,
    summary="One storyboard sprite",
    description="`sprite` matches `^sprite[0-9]{3,6}\\.jpg$`, as named by the storyboard.",
)
def video_storyboard_sprite(request: HttpRequest, video_id: int, sprite: str) -> HttpResponseBase:
    if not is_sprite(sprite):
        raise HttpError(404, STORYBOARD_NOT_FOUND)
    return viewer_delivery().sprite(request, _viewable(request, video_id), sprite)


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
    info = _viewable(request, video_id)
    return viewer_delivery().segment(request, info, resolution, segment)


@_file_route(
    "video/{video_id}/thumbnail.jpg",
    "video_thumbnail",
    *sorted(THUMBNAIL_TYPES),
    responses=_IMAGE_RESPONSES,
    summary="Thumbnail image",
    description=(
        "Same access rule as the stream: the access cookie travels with the catalog's "
        "`<img>` requests because the front ends are same-site."
    ),
)
def video_thumbnail(request: HttpRequest, video_id: int) -> HttpResponseBase:
    return viewer_delivery().thumbnail(request, _viewable(request, video_id))


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
