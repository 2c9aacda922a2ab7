"""Reading what the encoder wrote, checking it, and writing the master playlist from it."""

import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from transcoding.command import VARIANT_PLAYLIST
from transcoding.errors import ValidationError
from transcoding.ladder import PlannedRendition
from transcoding.mpegts import first_video_frame

if TYPE_CHECKING:
    from transcoding.iframes import IFrameOutput

MASTER_PLAYLIST = "master.m3u8"
AAC_LC_CODEC = "mp4a.40.2"
DURATION_TOLERANCE_SECONDS = 0.5


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float
    size_bytes: int


@dataclass(frozen=True)
class RenditionOutput:
    """One finished rung, measured from its files."""

    name: str
    width: int
    height: int
    bandwidth: int  # bit/s, peak over any run of segments lasting 0.5-1.5 target durations
    average_bandwidth: int  # bit/s over the whole rung
    codecs: str
    frame_rate: float
    target_duration: int
    segments: tuple[Segment, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    @property
    def size_bytes(self) -> int:
        return sum(s.size_bytes for s in self.segments)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "bandwidth": self.bandwidth,
            "average_bandwidth": self.average_bandwidth,
            "codecs": self.codecs,
            "frame_rate": self.frame_rate,
            "duration": round(self.duration, 3),
            "segments": len(self.segments),
            "size_bytes": self.size_bytes,
        }


def read_variant_playlist(folder: Path) -> tuple[int, tuple[Segment, ...]]:
    """(target duration, segments) of `folder/index.m3u8`, sizes read from the files."""
    target_duration = 0
    segments = []
    duration = None
    for line in (folder / VARIANT_PLAYLIST).read_text().splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target_duration = int(line.partition(":")[2])
        elif line.startswith("#EXTINF:"):
            duration = float(line.partition(":")[2].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(line, duration, (folder / line).stat().st_size))
            duration = None
    return target_duration, tuple(segments)


# Below this much free space an empty or missing output is most likely a full disk: ffmpeg's
# HLS muxer does not always fail when a segment cannot be written.
_NEARLY_FULL_BYTES = 1024 * 1024


def _output_error(message: str, folder: Path) -> ValidationError:
    try:
        full = shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        full = False
    return ValidationError(f"{message} No space left on the output disk." if full else message)


def measure_rendition(
    folder: Path, planned: PlannedRendition, frame_rate: Fraction, *, has_audio: bool
) -> RenditionOutput:
    if not (folder / VARIANT_PLAYLIST).is_file():
        raise _output_error(f"ffmpeg finished without writing the {planned.name} playlist.", folder)
    target_duration, segments = read_variant_playlist(folder)
    if not segments:
        raise _output_error(f"The {planned.name} rendition has no segments.", folder)
    first_frame = first_video_frame(folder / segments[0].uri)
    if first_frame is None or first_frame.avc_codec is None:
        raise _output_error(
            f"The {planned.name} rendition does not start with H.264 video.", folder
        )
    total_seconds = sum(s.duration for s in segments)
    total_bits = 8 * sum(s.size_bytes for s in segments)
    return RenditionOutput(
        name=planned.name,
        width=planned.width,
        height=planned.height,
        bandwidth=peak_bitrate(segments, target_duration),
        average_bandwidth=round(total_bits / total_seconds) if total_seconds else 0,
        codecs=",".join([first_frame.avc_codec, *([AAC_LC_CODEC] if has_audio else [])]),
        frame_rate=round(float(frame_rate), 3),
        target_duration=target_duration,
        segments=segments,
    )


def peak_bitrate(segments: tuple[Segment, ...], target_duration: float) -> int:
    """RFC 8216's peak segment bit rate: the highest rate over any contiguous run of segments
    lasting between 0.5 and 1.5 target durations (the whole rung if it is shorter)."""
    low, high = 0.5 * target_duration, 1.5 * target_duration
    peak = 0.0
    for start in range(len(segments)):
        seconds = bits = 0.0
        for segment in segments[start:]:
            seconds += segment.duration
            bits += 8 * segment.size_bytes
            if seconds > high:
                break
            if seconds >= low:
                peak = max(peak, bits / seconds)
    if not peak:
        seconds = sum(s.duration for s in segments)
        peak = 8 * sum(s.size_bytes for s in segments) / seconds if seconds else 0
    return round(peak)


def validate(
    root: Path,
    renditions: tuple[RenditionOutput, ...],
    *,
    source_duration: float,
    segment_seconds: float,
) -> None:
    """Raise ValidationError unless every rung is complete, aligned and starts on keyframes."""
    counts = {r.name: len(r.segments) for r in renditions}
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"{name}: {count}" for name, count in counts.items())
        raise ValidationError(f"The renditions have different segment counts ({detail}).")
    for rendition in renditions:
        if abs(rendition.duration - source_duration) > DURATION_TOLERANCE_SECONDS:
            raise ValidationError(
                f"The {rendition.name} rendition lasts {rendition.duration:.2f} s "
                f"but the source lasts {source_duration:.2f} s."
            )
        for segment in rendition.segments:
            if segment.duration > segment_seconds + DURATION_TOLERANCE_SECONDS:
                raise ValidationError(
                    f"Segment {segment.uri} of {rendition.name} lasts {segment.duration:.2f} s, "
                    f"longer than the {segment_seconds:g} s target."
                )
            first_frame = first_video_frame(root / rendition.name / segment.uri)
            if first_frame is None or not first_frame.keyframe:
                raise ValidationError(
                    f"Segment {segment.uri} of {rendition.name} does not start on a keyframe."
                )


def write_master_playlist(
    root: Path,
    renditions: tuple[RenditionOutput, ...],
    iframe_streams: tuple["IFrameOutput", ...] = (),
) -> Path:
    """The master playlist from the measured renditions, smallest first so playback starts
    fast, then each rung's I-frame stream for scrubbing."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in renditions:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f'CODECS="{rendition.codecs}",'
            f"FRAME-RATE={rendition.frame_rate:.3f}"
        )
        lines.append(f"{rendition.name}/{VARIANT_PLAYLIST}")
    for stream in iframe_streams:
        lines.append(
            f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={stream.bandwidth},"
            f"AVERAGE-BANDWIDTH={stream.average_bandwidth},"
            f'CODECS="{stream.codecs}",'
            f"RESOLUTION={stream.width}x{stream.height},"
            f'URI="{stream.uri}"'
        )
    path = root / MASTER_PLAYLIST
    path.write_text("\n".join(lines) + "\n")
    return path
