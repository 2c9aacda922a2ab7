"""A representative still of the source, fitted into a 1280x720 box."""

import threading
from fractions import Fraction
from pathlib import Path

from transcoding.probe import SourceInfo
from transcoding.runner import run_ffmpeg

THUMBNAIL_NAME = "thumbnail.jpg"
THUMBNAIL_BOX = (1280, 720)
# ffmpeg's `thumbnail` filter picks the frame closest to the average of this many seconds,
# which skips fades to black and flash frames.
CANDIDATE_SECONDS = 2.0
THUMBNAIL_TIMEOUT_SECONDS = 120


def fit_into(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the same aspect that fits the box, never larger than the source."""
    scale = min(Fraction(box[0], width), Fraction(box[1], height), Fraction(1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_start(at: float, duration: float) -> float:
    """Where the candidate window starts: near `at`, but inside short videos."""
    return max(0.0, min(at, duration - CANDIDATE_SECONDS))


def thumbnail_argv(source: SourceInfo, destination: Path, at: float) -> list[str]:
    video = source.video
    width, height = fit_into(video.display_width, video.display_height, THUMBNAIL_BOX)
    candidates = max(1, round(CANDIDATE_SECONDS * (video.average_frame_rate or 25)))
    filters = ["bwdif=mode=send_frame"] if video.interlaced else []
    filters += [f"thumbnail={candidates}", f"scale={width}:{height}", "setsar=1"]
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
        "-ss", f"{thumbnail_start(at, source.duration):.3f}",
        "-i", str(source.path),
        "-map", f"0:{video.index}",
        "-vf", ",".join(filters),
        "-frames:v", "1", "-update", "1", "-q:v", "3",
        str(destination),
    ]  # fmt: skip


def write_thumbnail(
    source: SourceInfo, folder: Path, *, at: float, cancel: threading.Event | None = None
) -> Path:
    destination = folder / THUMBNAIL_NAME
    run_ffmpeg(
        thumbnail_argv(source, destination, at),
        duration=CANDIDATE_SECONDS,
        cancel=cancel,
        timeout=THUMBNAIL_TIMEOUT_SECONDS,
    )
    return destination
