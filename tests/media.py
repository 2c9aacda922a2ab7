"""Small real media for tests, generated with ffmpeg's lavfi sources."""

import subprocess
from pathlib import Path

FAST_H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")


def generate_video(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: float = 25,
    audio: bool = True,
    video_args: tuple[str, ...] = FAST_H264,
    extra_args: tuple[str, ...] = (),
    timeout: float = 120,
) -> Path:
    """Write a testsrc2 clip (with a sine tone unless audio=False) and return its path."""
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
    ]  # fmt: skip
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
        argv += ["-c:a", "aac", "-b:a", "64k"]
    argv += [*video_args, *extra_args, "-shortest", str(path)]
    subprocess.run(argv, check=True, capture_output=True, timeout=timeout)
    return path
