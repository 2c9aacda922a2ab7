"""I-frame-only playlists (RFC 8216 4.3.3.6, Apple HLS authoring spec 6.1/6.8) for scrubbing.

Each keyframe of a rung becomes one entry: a byte range into the rung's own `.ts` segment,
from the packet that starts the keyframe to the packet that starts the next frame, so no
media file is written twice. Every segment begins with its PAT/PMT, which is the media
initialization section a player reads before decoding any range of it.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from transcoding.errors import ValidationError
from transcoding.hls import RenditionOutput
from transcoding.mpegts import video_frames

IFRAME_PLAYLIST = "iframes.m3u8"
PTS_HZ = 90_000


@dataclass(frozen=True)
class IFrame:
    uri: str
    offset: int
    length: int
    duration: float  # until the next keyframe


@dataclass(frozen=True)
class IFrameOutput:
    """One rung's I-frame playlist, measured for the master's EXT-X-I-FRAME-STREAM-INF."""

    name: str
    width: int
    height: int
    codecs: str  # video only: an I-frame stream carries no audio
    bandwidth: int  # bit/s, the largest keyframe over its duration
    average_bandwidth: int
    uri: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "uri": self.uri,
            "bandwidth": self.bandwidth,
            "average_bandwidth": self.average_bandwidth,
        }


def rung_iframes(folder: Path, rendition: RenditionOutput) -> list[IFrame]:
    """The keyframes of a finished rung, each with its byte range and display duration."""
    found: list[tuple[str, int, int, int]] = []  # uri, offset, length, pts
    for segment in rendition.segments:
        frames = video_frames(folder / segment.uri)
        for i, frame in enumerate(frames):
            if not frame.keyframe or frame.pts is None:
                continue
            end = frames[i + 1].offset if i + 1 < len(frames) else segment.size_bytes
            found.append((segment.uri, frame.offset, end - frame.offset, frame.pts))
    if not found:
        raise ValidationError(f"The {rendition.name} rendition has no keyframes.")
    first_pts = found[0][3]
    ends = [pts for *_, pts in found[1:]] + [first_pts + round(rendition.duration * PTS_HZ)]
    return [
        IFrame(uri, offset, length, max(0, end - pts) / PTS_HZ)
        for (uri, offset, length, pts), end in zip(found, ends, strict=True)
    ]


def write_iframe_playlist(folder: Path, rendition: RenditionOutput) -> IFrameOutput:
    """Write `folder/iframes.m3u8` for the rung in `folder` and measure it."""
    iframes = rung_iframes(folder, rendition)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:4",  # byte ranges and I-frames-only
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(max(f.duration for f in iframes)))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-I-FRAMES-ONLY",
    ]
    for iframe in iframes:
        lines += [
            f"#EXTINF:{iframe.duration:.6f},",
            f"#EXT-X-BYTERANGE:{iframe.length}@{iframe.offset}",
            iframe.uri,
        ]
    lines.append("#EXT-X-ENDLIST")
    (folder / IFRAME_PLAYLIST).write_text("\n".join(lines) + "\n")
    timed = [f for f in iframes if f.duration > 0]
    total_seconds = sum(f.duration for f in timed)
    return IFrameOutput(
        name=rendition.name,
        width=rendition.width,
        height=rendition.height,
        codecs=rendition.codecs.split(",")[0],
        bandwidth=round(max((8 * f.length / f.duration for f in timed), default=0)),
        average_bandwidth=round(8 * sum(f.length for f in timed) / total_seconds)
        if total_seconds
        else 0,
        uri=f"{rendition.name}/{IFRAME_PLAYLIST}",
    )
