"""Each video's HLS output on disk, how a new output replaces the old in one step, and
which file below MEDIA_ROOT a request may be sent (`servable_file`).

    MEDIA_ROOT/hls/<id>                 symlink to the live version (what streaming serves)
    MEDIA_ROOT/hls/<id>.<version>/      a finished output: master.m3u8, <rung>/..., thumbnail.jpg
    MEDIA_ROOT/hls/.work/<id>-<token>/  a transcode in progress

A finished transcode becomes a version folder, then the symlink is replaced with `os.replace`,
a single rename: every request finds the old output or the new one, complete, never a
missing or half-written folder.
"""

import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

HLS_FOLDER = "hls"
WORK_FOLDER = ".work"

# What may lie below MEDIA_ROOT/hls, by kind: (sub-folder, name pattern holding the video id).
_KINDS = {
    "link": ("", re.compile(r"(\d+)")),
    "version": ("", re.compile(r"(\d+)\.[0-9a-f]+")),
    "pending-link": ("", re.compile(r"\.(\d+)\.link-[0-9a-f]+")),
    "work": (WORK_FOLDER, re.compile(r"(\d+)-[0-9a-f]+")),
}


def hls_root() -> Path:
    return Path(settings.MEDIA_ROOT) / HLS_FOLDER


def live_dir(video_id: int) -> Path:
    # One Path built, not three: streaming asks for this on every segment request.
    return Path(settings.MEDIA_ROOT, HLS_FOLDER, str(video_id))


def live_name(video_id: int, relative: Path) -> str:
    """Storage name (relative to MEDIA_ROOT) of a file of the live output, e.g. its thumbnail."""
    return f"{HLS_FOLDER}/{video_id}/{relative.as_posix()}"


@contextmanager
def work_dir(video_id: int) -> Iterator[Path]:
    """A fresh folder for one transcode attempt, removed afterwards whatever happens."""
    work = hls_root() / WORK_FOLDER / f"{video_id}-{_token()}"
    try:
        work.mkdir(parents=True)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def swap_in(video_id: int, built: Path) -> None:
    """Make the finished output folder `built` the live output, then drop the previous one."""
    root = hls_root()
    version = root / f"{video_id}.{_token()}"
    os.rename(built, version)
    link = live_dir(video_id)
    if link.is_symlink():
        previous = root / os.readlink(link)
    elif link.is_dir():
        # A plain folder (written by other means): it becomes the previous version.
        previous = root / f"{video_id}.{_token()}"
        os.rename(link, previous)
    else:
        previous = None
    pending_link = root / f".{video_id}.link-{_token()}"
    os.symlink(version.name, pending_link)  # relative, so MEDIA_ROOT can move
    os.replace(pending_link, link)
    if previous is not None:
        _remove(previous)


def remove_all(video_id: int) -> None:
    """Every file of a video's outputs: the live one, older versions and work in progress."""
    for entry in _scan():
        if entry.video_id == video_id:
            _remove(entry.path)


def remove_orphans(*, busy: Callable[[set[int]], Mapping[int, bool]]) -> list[Path]:
    """Remove what no video needs; `busy` maps existing video ids to "a transcode is running".

    The disk is listed before the database is asked: a worker creates its folders only after
    claiming its video, so a folder listed before a "not processing" answer belongs to no
    running transcode, and one created later is simply not judged this time.
    """
    entries = _scan()
    if not entries:
        return []
    busy_by_id = busy({entry.video_id for entry in entries})
    removed = []
    for entry in entries:
        if entry.is_orphan(busy_by_id):
            _remove(entry.path)
            removed.append(entry.path)
    return removed


def output_sizes(video_id: int) -> dict[str, int]:
    """Bytes of the live output per rung folder, and of the files beside them."""
    live = live_dir(video_id)
    if not live.is_dir():
        return {}
    sizes: dict[str, int] = {}
    for entry in sorted(live.iterdir()):
        if entry.is_dir():
            sizes[entry.name] = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
        else:
            sizes["playlist and thumbnail"] = (
                sizes.get("playlist and thumbnail", 0) + entry.stat().st_size
            )
    return sizes


@dataclass(frozen=True)
class _Entry:
    kind: str
    video_id: int
    path: Path

    def is_orphan(self, busy_by_id: Mapping[int, bool]) -> bool:
        exists = self.video_id in busy_by_id
        processing = busy_by_id.get(self.video_id, False)
        if self.kind == "link":
            return not exists
        if self.kind == "version":
            return not exists or (not processing and not self._is_live())
        return not processing  # work folders and links about to be swapped in

    def _is_live(self) -> bool:
        link = live_dir(self.video_id)
        return link.is_symlink() and (link.parent / os.readlink(link)) == self.path


def _scan() -> list[_Entry]:
    entries = []
    for kind, (folder, pattern) in _KINDS.items():
        directory = hls_root() / folder
        for path in directory.iterdir() if directory.is_dir() else ():
            match = pattern.fullmatch(path.name)
            if match:
                entries.append(_Entry(kind, int(match.group(1)), path))
    return entries


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _token() -> str:
    return secrets.token_hex(6)


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
