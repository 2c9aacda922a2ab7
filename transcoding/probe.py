"""What a source file holds, read from ffprobe's JSON."""

import json
import subprocess
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from transcoding.errors import (
    NotMediaError,
    NoVideoStreamError,
    SourceMissingError,
    TranscodingError,
    ZeroDurationError,
)

PROBE_TIMEOUT_SECONDS = 60
INTERLACED_FIELD_ORDERS = frozenset({"tt", "bb", "tb", "bt"})
# r_frame_rate is the lowest rate that represents every timestamp; when the average strays
# further than this from it, frames arrive at uneven intervals.
VFR_TOLERANCE = 0.01


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    width: int
    height: int
    display_width: int
    display_height: int
    rotation: int
    frame_rate: float
    average_frame_rate: float
    variable_frame_rate: bool
    pixel_format: str
    bit_depth: int
    interlaced: bool


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    channels: int
    sample_rate: int
    default: bool
    language: str


@dataclass(frozen=True)
class SourceInfo:
    path: Path
    container: str
    duration: float
    size_bytes: int
    bit_rate: int | None
    video: VideoStream
    audio: tuple[AudioStream, ...]

    @property
    def default_audio(self) -> AudioStream | None:
        """The track a player would pick: the one flagged default, else the first."""
        return next((a for a in self.audio if a.default), self.audio[0] if self.audio else None)

    def as_dict(self) -> dict:
        summary = asdict(self)
        summary["path"] = str(self.path)
        summary["audio"] = [asdict(a) for a in self.audio]
        return summary


def run_ffprobe(path: Path, *args: str) -> dict:
    """Run ffprobe with JSON output; raise NotMediaError when it cannot read the file."""
    argv = ["ffprobe", "-v", "error", "-of", "json", *args, str(path)]
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise TranscodingError("Reading the source file took too long.") from exc
    stderr_tail = tail(completed.stderr)
    if completed.returncode != 0:
        raise NotMediaError(stderr_tail=stderr_tail)
    try:
        return json.loads(completed.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise NotMediaError(stderr_tail=stderr_tail) from exc


def probe(path: Path) -> SourceInfo:
    """Describe `path`; raise a permanent TranscodingError when it cannot be transcoded."""
    path = Path(path)
    if not path.is_file():
        raise SourceMissingError(f"The source file {path.name} does not exist.")
    if path.stat().st_size == 0:
        raise NotMediaError("The source file is empty.")
    data = run_ffprobe(path, "-show_format", "-show_streams")
    streams = data.get("streams", [])
    container = data.get("format", {})
    if not container or not streams:
        raise NotMediaError()
    video_streams = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    if not video_streams:
        raise NoVideoStreamError()
    duration = _number(container.get("duration")) or _number(video_streams[0].get("duration"))
    if not duration or duration <= 0:
        raise ZeroDurationError()
    return SourceInfo(
        path=path,
        container=container.get("format_name", ""),
        duration=duration,
        size_bytes=path.stat().st_size,
        bit_rate=int(_number(container.get("bit_rate")) or 0) or None,
        video=_video_stream(video_streams[0]),
        audio=tuple(_audio_stream(s) for s in streams if s.get("codec_type") == "audio"),
    )


def _video_stream(stream: dict) -> VideoStream:
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if not width or not height:
        raise NoVideoStreamError("The video stream has no picture size.")
    sar = _fraction(stream.get("sample_aspect_ratio")) or Fraction(1)
    display_width = round(width * sar)
    rotation = _rotation(stream)
    if rotation % 180:
        display_width, height_shown = height, display_width
    else:
        height_shown = height
    frame_rate = float(_fraction(stream.get("r_frame_rate")) or 0)
    average = float(_fraction(stream.get("avg_frame_rate")) or frame_rate)
    pixel_format = stream.get("pix_fmt", "")
    return VideoStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", ""),
        width=width,
        height=height,
        display_width=display_width,
        display_height=height_shown,
        rotation=rotation,
        frame_rate=frame_rate or average,
        average_frame_rate=average,
        variable_frame_rate=bool(
            frame_rate and average and abs(frame_rate - average) > VFR_TOLERANCE * frame_rate
        ),
        pixel_format=pixel_format,
        bit_depth=int(stream.get("bits_per_raw_sample") or 0) or _bit_depth(pixel_format),
        interlaced=stream.get("field_order", "progressive") in INTERLACED_FIELD_ORDERS,
    )


def _audio_stream(stream: dict) -> AudioStream:
    return AudioStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", ""),
        channels=int(stream.get("channels") or 0),
        sample_rate=int(stream.get("sample_rate") or 0),
        default=bool(stream.get("disposition", {}).get("default")),
        language=stream.get("tags", {}).get("language", ""),
    )


def _rotation(stream: dict) -> int:
    """Counter-clockwise display rotation in degrees (ffprobe's display matrix convention)."""
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return round(float(side_data["rotation"])) % 360
    # The legacy tag counts clockwise.
    return -round(_number(stream.get("tags", {}).get("rotate")) or 0) % 360


def _bit_depth(pixel_format: str) -> int:
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pixel_format or f"{depth}le" in pixel_format:
            return depth
    return 8


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fraction(value) -> Fraction | None:
    try:
        fraction = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return fraction if fraction > 0 else None


def tail(text: str, lines: int = 20) -> str:
    """The last `lines` lines of a tool's stderr, where the actual error usually is."""
    return "\n".join(text.strip().splitlines()[-lines:])
