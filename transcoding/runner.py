"""Run ffmpeg, turning its `-progress` lines into callbacks and its failures into typed errors."""

import collections
import ctypes
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from transcoding.errors import (
    CorruptSourceError,
    EncodeFailedError,
    TranscodeCancelledError,
    TranscodeTimeoutError,
)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Looked up in the parent: the forked child may only make the call itself.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

STDERR_TAIL_LINES = 20
POLL_SECONDS = 0.2
TERMINATE_GRACE_SECONDS = 5
# Words ffmpeg uses when the input itself is broken: retrying the same file cannot help.
CORRUPTION_MARKERS = (
    "invalid data found",
    "moov atom not found",
    "error while decoding",
    "corrupt",
    "invalid nal",
)


_REPEATED = re.compile(r"^\s*Last message repeated \d+ times?$")


@dataclass(frozen=True)
class Progress:
    percent: float  # 0-100
    speed: float | None  # x realtime
    eta_seconds: float | None


def run_ffmpeg(
    argv: list[str],
    *,
    duration: float,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
) -> str:
    """Run `argv` (which must write `-progress pipe:1`) to completion or raise.

    The callback runs on the calling thread. Cancelling or timing out terminates ffmpeg
    and raises once it has exited, so no process outlives the call. Returns the tail of
    stderr: ffmpeg can succeed while complaining about the input.
    """
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=_die_with_parent,
    )
    updates: queue.Queue[Progress] = queue.Queue()
    stderr_lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    readers = [
        threading.Thread(target=_read_progress, args=(process.stdout, duration, updates)),
        threading.Thread(target=_read_lines, args=(process.stderr, stderr_lines)),
    ]
    for reader in readers:
        reader.daemon = True
        reader.start()
    deadline = time.monotonic() + timeout if timeout else None
    stopped_because: type[Exception] | None = None
    try:
        while process.poll() is None:
            _deliver(updates, on_progress, wait=POLL_SECONDS)
            if cancel is not None and cancel.is_set():
                stopped_because = TranscodeCancelledError
            elif deadline is not None and time.monotonic() > deadline:
                stopped_because = TranscodeTimeoutError
            if stopped_because:
                _stop(process)
                break
    finally:
        if process.poll() is None:  # an exception (e.g. from the callback) interrupted us
            _stop(process)
        for reader in readers:
            reader.join(timeout=TERMINATE_GRACE_SECONDS)
    stderr_tail = "\n".join(stderr_lines)
    if stopped_because is TranscodeTimeoutError:
        raise TranscodeTimeoutError(
            f"Transcoding took longer than {timeout:.0f} seconds and was stopped.",
            stderr_tail=stderr_tail,
        )
    if stopped_because is TranscodeCancelledError:
        raise TranscodeCancelledError(stderr_tail=stderr_tail)
    if process.returncode != 0:
        raise _failure(process.returncode, stderr_tail)
    _deliver(updates, on_progress, wait=0)
    return stderr_tail


def _failure(returncode: int, stderr_tail: str) -> Exception:
    if returncode < 0:
        return EncodeFailedError(
            f"ffmpeg was killed by signal {-returncode}.", stderr_tail=stderr_tail
        )
    if mentions_corruption(stderr_tail):
        return CorruptSourceError(stderr_tail=stderr_tail)
    # ffmpeg's log folds a repeat into "Last message repeated N times": the message is above it.
    lines = [line for line in stderr_tail.splitlines() if not _REPEATED.search(line)]
    last_line = lines[-1].strip() if lines else ""
    reason = f"ffmpeg failed: {last_line}" if last_line else "ffmpeg failed without a message."
    return EncodeFailedError(_sentence(reason), stderr_tail=stderr_tail)


def mentions_corruption(stderr_tail: str) -> bool:
    lowered = stderr_tail.lower()
    return any(marker in lowered for marker in CORRUPTION_MARKERS)


def _deliver(
    updates: queue.Queue, on_progress: Callable[[Progress], None] | None, *, wait: float
) -> None:
    """Hand the newest pending update to the callback; older ones are stale already."""
    latest = None
    try:
        latest = updates.get(timeout=wait) if wait else updates.get_nowait()
        while True:
            latest = updates.get_nowait()
    except queue.Empty:
        pass
    if latest is not None and on_progress is not None:
        on_progress(latest)


def _die_with_parent() -> None:
    """In the child: ffmpeg ignores a broken -progress pipe, so tie its life to the worker's."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read_lines(stream, sink: collections.deque) -> None:
    for line in stream:
        if line.strip():
            sink.append(line.rstrip())


def _read_progress(stream, duration: float, updates: queue.Queue) -> None:
    """Parse ffmpeg's key=value progress blocks; each block ends with a `progress=` line."""
    block: dict[str, str] = {}
    for line in stream:
        key, _, value = line.strip().partition("=")
        block[key] = value
        if key == "progress":
            updates.put(progress_from_block(block, duration))
            block = {}


def progress_from_block(block: dict[str, str], duration: float) -> Progress:
    out_seconds = _microseconds(block.get("out_time_us")) or 0.0
    speed = _speed(block.get("speed"))
    if block.get("progress") == "end":
        return Progress(percent=100.0, speed=speed, eta_seconds=0.0)
    done = min(max(out_seconds, 0.0), duration) if duration > 0 else 0.0
    percent = 100.0 * done / duration if duration > 0 else 0.0
    eta = (duration - done) / speed if speed else None
    return Progress(percent=min(percent, 99.9), speed=speed, eta_seconds=eta)


def _microseconds(value: str | None) -> float | None:
    try:
        return int(value) / 1_000_000
    except (TypeError, ValueError):
        return None


def _speed(value: str | None) -> float | None:
    try:
        speed = float((value or "").rstrip("x"))
    except ValueError:
        return None
    return speed if speed > 0 else None


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith(".") else f"{text}."
