"""A representative still of the source, fitted into a 1280x720 box.

It is one more branch of the ladder's decode: a second pass just for the still would decode
everything up to the chosen time again (several percent of a whole 1080p ladder's CPU).
"""

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

THUMBNAIL_NAME = "thumbnail.jpg"
THUMBNAIL_BOX = (1280, 720)
# ffmpeg's `thumbnail` filter picks the frame closest to the average of this many seconds,
# which skips fades to black and flash frames.
CANDIDATE_SECONDS = 2.0


@dataclass(frozen=True)
class Thumbnail:
    start: float  # seconds; the candidates are the frames of [start, start + CANDIDATE_SECONDS)
    candidates: int
    width: int
    height: int

    def branch(self, branch_input: str, label: str) -> str:
        return (
            f"{branch_input}trim=start={self.start:.3f}:duration={CANDIDATE_SECONDS:g},"
            f"scale={self.width}:{self.height},setsar=1,thumbnail={self.candidates}[{label}]"
        )

    def output_args(self, label: str, workdir: Path) -> list[str]:
        return [
            "-map", f"[{label}]", "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3",
            "-f", "image2", "-update", "1", str(workdir / THUMBNAIL_NAME),
        ]  # fmt: skip


def plan_thumbnail(
    at: float, duration: float, display_width: int, display_height: int, frame_rate: Fraction
) -> Thumbnail:
    width, height = fit_into(display_width, display_height, THUMBNAIL_BOX)
    return Thumbnail(
        start=thumbnail_start(at, duration),
        candidates=max(1, round(CANDIDATE_SECONDS * frame_rate)),
        width=width,
        height=height,
    )


def fit_into(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the same aspect that fits the box, never larger than the source."""
    scale = min(Fraction(box[0], width), Fraction(box[1], height), Fraction(1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_start(at: float, duration: float) -> float:
    """Where the candidate window starts: near `at`, but inside short videos."""
    return max(0.0, min(at, duration - CANDIDATE_SECONDS))
