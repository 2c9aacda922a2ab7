"""Which file a streaming URL may name.

Names are checked against strict patterns before they touch the filesystem, and the
file they resolve to (symlinks followed) must lie inside the folder it was asked for,
so no `..`, absolute path, NUL byte or planted symlink reaches anything else.
"""

import re
import stat
from dataclasses import dataclass
from pathlib import Path

# ASCII only: `\d` alone would also accept other scripts' digits.
RESOLUTION_PATTERN = re.compile(r"[0-9]{3,4}p", re.ASCII)
SEGMENT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\.ts", re.ASCII)


def is_resolution(name: str) -> bool:
    return RESOLUTION_PATTERN.fullmatch(name) is not None


def is_segment(name: str) -> bool:
    return SEGMENT_PATTERN.fullmatch(name) is not None


def rung_height(name: str) -> int:
    """The height a rung name stands for: "720p" -> 720."""
    return int(name[:-1])


@dataclass(frozen=True)
class ServableFile:
    """A regular file confined to its folder.

    `path` is where it really is (opened when Python sends it); `media_name` is its
    path below the media root, through the folder as named (which may be a symlink),
    for nginx to resolve in X-Accel-Redirect mode.
    """

    path: Path
    media_name: str


def servable_file(media_root: Path, folder: Path, name: str) -> ServableFile | None:
    """The file `name` (relative, "/"-separated) inside `folder`, or None.

    None when the folder or file is missing, when the resolved file lies outside the
    resolved folder (a `..`, an absolute name or a symlink pointing elsewhere), or when
    it is not a regular file. The folder itself may be a symlink (e.g. to a versioned
    output); `folder` must lie below `media_root` as named.
    """
    try:
        root = folder.resolve(strict=True)
        candidate = root.joinpath(name).resolve(strict=True)
        mode = candidate.stat().st_mode
    except (OSError, ValueError, RuntimeError):
        # Missing, unreadable, a NUL byte or a symlink loop: not servable either way.
        return None
    if not candidate.is_relative_to(root) or not stat.S_ISREG(mode):
        return None
    media_name = folder.relative_to(media_root) / candidate.relative_to(root)
    return ServableFile(path=candidate, media_name=media_name.as_posix())
