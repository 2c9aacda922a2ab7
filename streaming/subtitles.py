"""Subtitle tracks in HLS: the master playlist as served, each track's media playlist, and
its WebVTT as a segment.

The transcode writes the master playlist without subtitles; the tracks are added here, when
it is served, so adding or removing one needs no new transcode. A video without tracks is
served its master playlist file unchanged.
"""

import math
from collections.abc import Sequence

from catalog.subtitles import SubtitleTrack

SUBTITLE_GROUP = "subs"
# Where hls.js and Safari put a WebVTT segment's cues: LOCAL (the cue clock's zero, the film's
# start) falls at MPEGTS on the segments' 90 kHz clock. ffmpeg's MPEG-TS muxer starts its
# output at 1.4 s (twice its default muxdelay of 0.7 s), so a film's first sample has PTS
# 126000; tests/streaming/test_subtitle_routes.py checks that against a real transcode.
FIRST_PTS = 126000
TIMESTAMP_MAP = f"X-TIMESTAMP-MAP=MPEGTS:{FIRST_PTS},LOCAL:00:00:00.000".encode("ascii")
_STREAM_INF = b"#EXT-X-STREAM-INF:"


def master_with_subtitles(master: bytes, tracks: Sequence[SubtitleTrack]) -> bytes:
    """`master` with a SUBTITLES rendition per track, and every variant naming their group."""
    media = [line + b"\n" for line in _media_tags(tracks)]
    lines = master.splitlines(keepends=True)
    first_variant = next(
        (i for i, line in enumerate(lines) if line.startswith(_STREAM_INF)), len(lines)
    )
    served = lines[:first_variant] + media
    for line in lines[first_variant:]:
        if line.startswith(_STREAM_INF):
            text = line.rstrip(b"\r\n")
            line = text + f',SUBTITLES="{SUBTITLE_GROUP}"'.encode("ascii") + line[len(text) :]
        served.append(line)
    return b"".join(served)


def _media_tags(tracks: Sequence[SubtitleTrack]) -> list[bytes]:
    # NAMEs must differ within a group: two tracks both called "English" (en, en-US) get
    # their tags added. Only one track of a group may be DEFAULT.
    names = [track.name for track in tracks]
    default = next((track.language for track in tracks if track.is_default), None)
    tags = []
    for track, name in zip(tracks, names, strict=True):
        if names.count(name) > 1:
            name = f"{name} ({track.language})"
        is_default = "YES" if track.language == default else "NO"
        tags.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLE_GROUP}",'
            f'LANGUAGE="{track.language}",NAME="{_quotable(name)}",'
            f"DEFAULT={is_default},AUTOSELECT=YES,FORCED=NO,"
            f'URI="subtitles/{track.language}.m3u8"'.encode()
        )
    return tags


def _quotable(text: str) -> str:
    """A quoted-string attribute admits no quote and no line break (the model refuses them;
    this keeps an older row from breaking the playlist)."""
    return "".join("'" if char == '"' else char for char in text if char >= " ")


def subtitle_playlist(language: str, duration: float) -> bytes:
    """A track's media playlist: one segment, the whole WebVTT file, as long as the film."""
    return (
        "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration))}\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{duration:.3f},\n"
        f"{language}.vtt\n"  # beside this playlist
        "#EXT-X-ENDLIST\n"
    ).encode("ascii")


def webvtt_segment(vtt: bytes) -> bytes:
    """A stored WebVTT file with the timestamp map in its header, as HLS players need it.

    Browsers reading it through a `<track>` ignore the extra header line.
    """
    header, newline, rest = vtt.partition(b"\n")
    return header + b"\n" + TIMESTAMP_MAP + b"\n" + rest if newline else vtt
