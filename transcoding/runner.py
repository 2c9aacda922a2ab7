"""Run ffmpeg, turning its `-progress` lines into callbacks and its failures into typed errors."""

import collections
import contextlib
import ctypes
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

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
    stall_timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Run `argv` (which must write `-progress pipe:1`) to completion or raise.

    The callback runs on the calling thread. Cancelling or timing out terminates ffmpeg
    and raises once it has exited, so no process outlives the call. `timeout` bounds the
    whole run, `stall_timeout` the time without progress (no new position, frame or output
    byte in ffmpeg's progress lines): a slow encode on a busy machine keeps going as long as
    it advances, a hung one is stopped. Both are measured by `clock`. Returns the tail of
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
    advances = _Advances()
    stderr_lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    readers = [
        threading.Thread(target=_read_progress, args=(process.stdout, duration, updates, advances)),
        threading.Thread(target=_read_lines, args=(process.stderr, stderr_lines)),
    ]
    for reader in readers:
        reader.daemon = True
        reader.start()
    started = last_advance = clock()
    advances_seen = 0
    stopped_because: str | None = None
    progress_ended = False
    try:
        while process.poll() is None:
            if progress_ended:  # ffmpeg closed its output: it is exiting, wait for just that
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=POLL_SECONDS)
            else:
                progress_ended = _deliver(updates, on_progress, wait=POLL_SECONDS)
            now = clock()
            if advances.count != advances_seen:
                advances_seen, last_advance = advances.count, now
            if cancel is not None and cancel.is_set():
                stopped_because = "cancel"
            elif timeout and now - started > timeout:
                stopped_because = "timeout"
            elif stall_timeout and now - last_advance > stall_timeout:
                stopped_because = "stall"
            if stopped_because:
                _stop(process)
                break
    finally:
        if process.poll() is None:  # an exception (e.g. from the callback) interrupted us
            _stop(process)
        for reader in readers:
            reader.join(timeout=TERMINATE_GRACE_SECONDS)
    stderr_tail = "\n".join(stderr_lines)
    if stopped_because == "timeout":
        raise TranscodeTimeoutError(
            f"Transcoding took longer than {timeout:.0f} seconds and was stopped.",
            stderr_tail=stderr_tail,
        )
    if stopped_because == "stall":
        raise TranscodeTimeoutError(
            f"ffmpeg made no progress for {stall_timeout:.0f} seconds and was stopped.",
            stderr_tail=stderr_tail,
        )
    if stopped_because == "cancel":
        raise TranscodeCancelledError(stderr_tail=stderr_tail)
    if process.returncode != 0:
        raise _failure(process.returncode, stderr_tail)
    _deliver(updates, on_progress, wait=0)
    return stderr_tail


T = TypeVar("T")


def run_side_by_side(
    passes: Sequence[Callable[[threading.Event], T]], *, cancel: threading.Event | None = None
) -> list[T]:
    """Run independent passes at once, each on a thread of its own; their results in order.

    Each pass gets the event that must stop it (its `cancel` for run_ffmpeg): set when `cancel`
    is, or as soon as another pass fails, so nobody waits for work whose result is lost. The
    failure raised is the first pass's own error, not the cancellation it caused elsewhere.
    """
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, len(passes))) as pool:
        futures = [pool.submit(run, stop) for run in passes]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done) or (cancel and cancel.is_set()):
                stop.set()
    errors = [f.exception() for f in futures if f.exception() is not None]
    own = [e for e in errors if not isinstance(e, TranscodeCancelledError)]
    if own or errors:
        raise (own or errors)[0]
    return [f.result() for f in futures]


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
) -> bool:
    """Hand the newest pending update to the callback; older ones are stale already.

    True once the progress stream has ended (the reader's PROGRESS_ENDED came through).
    """
    latest, ended = None, False
    try:
        item = updates.get(timeout=wait) if wait else updates.get_nowait()
        while True:
            if item is PROGRESS_ENDED:
                ended = True
            else:
                latest = item
            item = updates.get_nowait()
    except queue.Empty:
        pass
    if latest is not None and on_progress is not None:
        on_progress(latest)
    return ended


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


class _Advances:
    """How often ffmpeg's progress moved on; written by the reader thread, read by the loop."""

    count = 0


# The fields of a progress block that move only when ffmpeg gets on: a block repeating them
# (ffmpeg reports every stats period, also while it waits) is no progress.
_ADVANCING_KEYS = ("frame", "out_time_us", "total_size", "progress")


# Put on the queue when ffmpeg's progress output closes: the loop then waits for the exit
# itself instead of one more poll period (a fifth of a second on every ffmpeg run).
PROGRESS_ENDED = object()


def _read_progress(stream, duration: float, updates: queue.Queue, advances: _Advances) -> None:
    """Parse ffmpeg's key=value progress blocks; each block ends with a `progress=` line."""
    block: dict[str, str] = {}
    position: tuple[str | None, ...] = ()
    for line in stream:
        key, _, value = line.strip().partition("=")
        block[key] = value
        if key == "progress":
            updates.put(progress_from_block(block, duration))
            moved = tuple(block.get(k) for k in _ADVANCING_KEYS)
            if moved != position:
                position = moved
                advances.count += 1
            block = {}
    updates.put(PROGRESS_ENDED)


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
