"""Subtitle routes: each track's WebVTT (for HLS players and `<track>` elements alike) and its
HLS media playlist, under the same access rule as the rest of the film.

A router of its own because Django tries URL patterns in order and
`video/<id>/<resolution>/<segment>` would take `video/<id>/subtitles/en.vtt`: videoflix/api.py
adds this router before the streaming one. The files are small text read through Django's
storage, so Django sends them in every delivery mode (behind nginx they take its `location /`).
"""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Router
from ninja.errors import HttpError

from catalog.languages import normalized_language
from catalog.subtitles import SubtitleTrack, SubtitleTracks, subtitle_tracks
from streaming.api import PLAYLIST_CACHE, PLAYLIST_TYPE, VIEWER_AUTH, _file_route, _viewable
from streaming.responses import bytes_response
from streaming.subtitles import subtitle_playlist, webvtt_segment

router = Router(tags=["streaming"], auth=VIEWER_AUTH)

SUBTITLES_NOT_FOUND = "Subtitles not found."
WEBVTT_TYPE = "text/vtt"
_LANGUAGE_RULE = (
    "`lang` is a language tag as the master playlist and the catalog name it (`en`, `pt-BR`, "
    "`zh-Hant`; any case); a language the film has no subtitles in is 404."
)


def _track(request: HttpRequest, video_id: int, lang: str) -> tuple[SubtitleTracks, SubtitleTrack]:
    # The name is checked before anything is looked up; the file is then found by the row,
    # never by the URL, so no name reaches the storage.
    language = normalized_language(lang)
    if language is None:
        raise HttpError(404, SUBTITLES_NOT_FOUND)
    subtitles = subtitle_tracks(_viewable(request, video_id))
    track = subtitles.track(language)
    if track is None:
        raise HttpError(404, SUBTITLES_NOT_FOUND)
    return subtitles, track


@_file_route(
    "video/{video_id}/subtitles/{lang}.vtt",
    "video_subtitle",
    WEBVTT_TYPE,
    on=router,
    summary="One subtitle track (WebVTT)",
    description=f"{_LANGUAGE_RULE} The file carries the HLS `X-TIMESTAMP-MAP` header, which "
    "browsers ignore in a `<track>` element.",
)
def video_subtitle(request: HttpRequest, video_id: int, lang: str) -> HttpResponseBase:
    _, track = _track(request, video_id, lang)
    try:
        with track.open() as file:
            vtt = file.read()
    except OSError:
        raise HttpError(404, SUBTITLES_NOT_FOUND) from None
    return bytes_response(
        request,
        webvtt_segment(vtt),
        etag=f'"{track.version}"',
        last_modified=track.modified,
        content_type=WEBVTT_TYPE,
        cache_control=PLAYLIST_CACHE,
    )


@_file_route(
    "video/{video_id}/subtitles/{lang}.m3u8",
    "video_subtitle_playlist",
    PLAYLIST_TYPE,
    on=router,
    summary="HLS media playlist of one subtitle track",
    description=f"{_LANGUAGE_RULE} One segment, the track's WebVTT, as long as the film; "
    'listed in the master playlist as `EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs"`.',
)
def video_subtitle_playlist(request: HttpRequest, video_id: int, lang: str) -> HttpResponseBase:
    subtitles, track = _track(request, video_id, lang)
    return bytes_response(
        request,
        subtitle_playlist(track.language, subtitles.duration),
        etag=f'"{track.version}-{subtitles.duration:.3f}"',
        last_modified=track.modified,
        content_type=PLAYLIST_TYPE,
        cache_control=PLAYLIST_CACHE,
    )
