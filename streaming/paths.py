"""Which file a streaming URL may name.

Names are checked against strict patterns before they touch the filesystem, and the
file they resolve to (symlinks followed) must lie inside the folder it was asked for,
so no `..`, absolute path, NUL byte or planted symlink reaches anything else.
"""

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

# ASCII only: `\d` alone would also accept other scripts' digits.
RESOLUTION_PATTERN = re.compile(r"[0-9]{3,4}p", re.ASCII)
SEGMENT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\.ts", re.ASCII)
SPRITE_PATTERN = re.compile(r"sprite[0-9]{3,6}\.jpg", re.ASCII)


def is_resolution(name: str) -> bool:
    return RESOLUTION_PATTERN.fullmatch(name) is not None


def is_segment(name: str) -> bool:
    return SEGMENT_PATTERN.fullmatch(name) is not None


def is_sprite(name: str) -> bool:
    return SPRITE_PATTERN.fullmatch(name) is not None


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
    """The regular file `name` ("/"-separated, relative) inside `folder`, or None.

    The folder itself may be a symlink (e.g. to a versioned output). Below it, a name
    with an empty, `.` or `..` part is refused outright; if no part is a symlink the
    file lies inside the folder by construction, at one lstat per part. A symlink below
    the folder is followed only if what it leads to still lies inside the real folder.
    `folder` must lie below `media_root` as named.
    """
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    path = os.fspath(folder)
    try:
        modes = []
        for part in parts:
            path = os.path.join(path, part)
            modes.append(os.lstat(path).st_mode)
        if any(stat.S_ISLNK(mode) for mode in modes):
            path = _real_path_inside(folder, path)
            if path is None:
                return None
            modes.append(os.stat(path).st_mode)
    except (OSError, ValueError):
        # Missing, unreadable, a NUL byte or a symlink loop: not servable either way.
        return None
    if not stat.S_ISREG(modes[-1]):
        return None
    return ServableFile(path=Path(path), media_name=_media_name(media_root, folder, parts))


def _media_name(media_root: Path, folder: Path, parts: list[str]) -> str:
    """`folder`/`parts` below `media_root`, "/"-separated (string work: this runs per segment)."""
    root, below = os.fspath(media_root).rstrip("/"), os.fspath(folder)
    if below == root:
        return "/".join(parts)
    if not below.startswith(root + "/"):
        raise ValueError(f"{folder} does not lie below {media_root}.")
    return "/".join((below[len(root) + 1 :], *parts))


def _real_path_inside(folder: Path, path: str) -> str | None:
    real_folder = os.path.realpath(folder, strict=True)
    real_path = os.path.realpath(path, strict=True)
    inside = os.path.commonpath((real_folder, real_path)) == real_folder
    return real_path if inside else None
