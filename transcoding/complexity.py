"""How hard a film is to encode, from a quick look at a few seconds of it before the ladder runs.

A few one-second windows spread over the film are decoded, scaled into a small box and encoded
once with x264 ultrafast at a fixed CRF; the bits that costs per pixel is the measure. At that
size grain and sensor noise have been averaged away while hard edges and fine structure
(animation outlines, text, sharp detail) survive, so a high figure for the intra frames means
"structure that the cheapest analysis of the ladder's encode would smear". Their ratio to the
bits per pixel of all frames says how much of the picture is re-used from frame to frame, where
what the analysis keeps propagates (see TITLE_TUNINGS in ladder.py).

Windows start at the keyframe at or before each sample point (`-noaccurate_seek`), so no
frame is decoded only to be thrown away: the pass costs about a second of CPU on a 20 s 1080p
clip and the same for a feature, a few percent of the ladder at most (benchmarks/README.md).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from transcoding.runner import run_ffmpeg

WINDOW_SECONDS = 1.0
# One window per this much of the film, at least one and at most MAX_WINDOWS: a short clip
# gets a single look, a feature a handful, which is enough for a class and cheap either way.
SECONDS_PER_WINDOW = 15.0
MAX_WINDOWS = 10
# The longer side of the analysis picture: small enough that decoding dominates the cost.
ANALYSIS_BOX = 640
ANALYSIS_CRF = 23

_FRAME_TYPE = re.compile(r"frame ([IPB]):(\d+)\s+Avg QP:\s*[0-9.]+\s+size:\s*(\d+)")


@dataclass(frozen=True)
class Complexity:
    """Bits a quick fixed-CRF encode spent per pixel, in all and on its intra frames alone."""

    bits_per_pixel: float
    intra_bits_per_pixel: float
    frames: int

    @property
    def intra_ratio(self) -> float:
        """Intra bits per pixel over all bits per pixel (0 when nothing was spent).

        High where inter frames are cheap, i.e. the picture is re-used from frame to frame;
        near 1 where every frame is new (a cut every frame, or detail that changes each frame).
        """
        return self.intra_bits_per_pixel / self.bits_per_pixel if self.bits_per_pixel else 0.0

    def as_dict(self) -> dict:
        return {
            "bits_per_pixel": round(self.bits_per_pixel, 4),
            "intra_bits_per_pixel": round(self.intra_bits_per_pixel, 4),
            "intra_ratio": round(self.intra_ratio, 3),
            "frames": self.frames,
        }


def sample_starts(duration: float) -> tuple[float, ...]:
    """Pure: where the windows start, one in the middle of each equal slice of the film."""
    count = max(1, min(MAX_WINDOWS, round(duration / SECONDS_PER_WINDOW)))
    slice_seconds = duration / count
    return tuple(
        round(max(0.0, slice_seconds * (i + 0.5) - WINDOW_SECONDS / 2), 3) for i in range(count)
    )


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Pure: the picture fitted into ANALYSIS_BOX on its longer side, even, never upscaled."""
    scale = min(1.0, ANALYSIS_BOX / max(width, height))
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def analysis_argv(source: Path, video_index: int, start: float, size: tuple[int, int]) -> list[str]:
    """Pure: decode one window, scale it, encode it with x264 ultrafast into nothing.

    x264's closing statistics (frames and average size per frame type) go to stderr. One run
    per window keeps every window's first frame an I-frame, as the window starts at a keyframe.
    """
    width, height = size
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
        "-progress", "pipe:1",
        "-noaccurate_seek", "-ss", f"{start:g}", "-t", f"{WINDOW_SECONDS:g}", "-i", str(source),
        "-map", f"0:{video_index}",
        "-vf", f"scale={width}:{height}:flags=bicubic,format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", str(ANALYSIS_CRF),
        "-f", "null", "-",
    ]  # fmt: skip


FrameSizes = dict[str, tuple[int, int]]  # frame type -> (frames, average bytes)


def parse_statistics(stderr: str) -> FrameSizes:
    """Pure: x264's `frame I:n Avg QP:q size:bytes` lines of one window (none: no frames)."""
    return {kind: (int(count), int(size)) for kind, count, size in _FRAME_TYPE.findall(stderr)}


def complexity_of(windows: list[FrameSizes], size: tuple[int, int]) -> Complexity | None:
    """Pure: the windows' frames and bytes as bits per pixel, in all and for intra frames.

    None when no window yielded a frame: the film then keeps the ladder's fixed settings, and
    the encode itself reports whatever is wrong with the source.
    """
    pixels = size[0] * size[1]
    every = [sizes for window in windows for sizes in window.values()]
    intra = [window["I"] for window in windows if "I" in window]
    frames, intra_frames = sum(n for n, _ in every), sum(n for n, _ in intra)
    if not frames:
        return None
    return Complexity(
        bits_per_pixel=sum(n * b * 8 for n, b in every) / (frames * pixels),
        intra_bits_per_pixel=(
            sum(n * b * 8 for n, b in intra) / (intra_frames * pixels) if intra_frames else 0.0
        ),
        frames=frames,
    )


def measure_complexity(
    source: Path, video_index: int, *, width: int, height: int, duration: float, **run_options
) -> Complexity | None:
    """Run the analysis pass; `run_options` (cancel, timeouts) go to run_ffmpeg."""
    size = analysis_size(width, height)
    windows = [
        parse_statistics(
            run_ffmpeg(
                analysis_argv(source, video_index, start, size),
                duration=WINDOW_SECONDS,
                **run_options,
            )
        )
        for start in sample_starts(duration)
    ]
    return complexity_of(windows, size)
