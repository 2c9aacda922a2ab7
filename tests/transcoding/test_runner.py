"""run_ffmpeg(): progress callbacks, cancellation, timeouts and typed failures."""

import itertools
import os
import subprocess
import threading
import time

import pytest

from transcoding import (
    EncodeFailedError,
    Progress,
    TranscodeCancelledError,
    TranscodeTimeoutError,
)
from transcoding.runner import _failure, progress_from_block, run_ffmpeg, run_side_by_side


def realtime_source(seconds: float) -> list[str]:
    """A lavfi clip read at playback speed, so the run lasts about `seconds`."""
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-progress", "pipe:1",
        "-stats_period", "0.1", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size=64x48:duration={seconds}",
        "-f", "null", "-",
    ]  # fmt: skip


def test_progress_block_gives_percent_speed_and_eta():
    progress = progress_from_block(
        {"out_time_us": "2500000", "speed": "2.5x", "progress": "continue"}, duration=10
    )

    assert progress == Progress(percent=25.0, speed=2.5, eta_seconds=3.0)


def test_progress_block_without_speed_has_no_eta_and_end_is_100():
    early = progress_from_block({"out_time_us": "N/A", "speed": "N/A", "progress": "continue"}, 10)
    end = progress_from_block({"out_time_us": "10000000", "speed": "3x", "progress": "end"}, 10)

    assert early == Progress(percent=0.0, speed=None, eta_seconds=None)
    assert end.percent == 100.0


def test_callback_sees_rising_progress_up_to_100():
    seen: list[Progress] = []

    run_ffmpeg(realtime_source(1.5), duration=1.5, on_progress=seen.append)

    percents = [p.percent for p in seen]
    assert len(percents) >= 3
    assert percents == sorted(percents)
    assert 0 < percents[0] < 100
    assert percents[-1] == 100.0
    assert all(p.speed for p in seen[1:])


def test_cancel_stops_ffmpeg_promptly():
    cancel = threading.Event()
    started = time.monotonic()

    with pytest.raises(TranscodeCancelledError) as caught:
        run_ffmpeg(
            realtime_source(30), duration=30, on_progress=lambda _: cancel.set(), cancel=cancel
        )

    assert time.monotonic() - started < 10
    assert not caught.value.permanent


def test_timeout_stops_ffmpeg_and_says_how_long_it_waited():
    started = time.monotonic()

    with pytest.raises(TranscodeTimeoutError) as caught:
        run_ffmpeg(realtime_source(30), duration=30, timeout=1)

    assert time.monotonic() - started < 10
    assert caught.value.reason == "Transcoding took longer than 1 seconds and was stopped."
    assert not caught.value.permanent


def ticking_clock():
    """An injected clock that moves one 'second' each time the runner looks at it: the runner
    looks about every 0.2 s of real time (less when progress arrives), so time passes for it
    whatever the machine's load, and a stall limit of N means at least N looks without progress.
    """
    return itertools.count().__next__


def test_stall_timeout_stops_an_ffmpeg_whose_input_never_comes(tmp_path):
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    # Held open for writing (O_RDWR does not wait for a reader) and a few frames written, then
    # nothing more: ffmpeg reads those and waits, as it would on a hung network source.
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    os.write(writer, bytes(16 * 16 * 10))
    argv = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-progress", "pipe:1",
        "-stats_period", "0.1",
        "-f", "rawvideo", "-pix_fmt", "gray", "-s", "16x16", "-r", "25", "-i", str(fifo),
        "-f", "null", "-",
    ]  # fmt: skip
    try:
        with pytest.raises(TranscodeTimeoutError) as caught:
            run_ffmpeg(argv, duration=10, stall_timeout=20, clock=ticking_clock())
    finally:
        os.close(writer)

    assert caught.value.reason == "ffmpeg made no progress for 20 seconds and was stopped."
    assert not caught.value.permanent


def test_a_slow_encode_that_keeps_advancing_outlives_the_stall_timeout():
    clock = ticking_clock()
    looks = []

    def counting_clock():
        looks.append(clock())
        return looks[-1]

    # 6 s at playback speed: at least 30 looks at 0.2 s each, so more clock time passes than
    # the stall limit (25) while ffmpeg reports a new position every 0.1 s; it would take 5 s
    # of no progress at all to stop it.
    run_ffmpeg(realtime_source(6), duration=6, stall_timeout=25, clock=counting_clock)

    assert looks[-1] - looks[0] > 25


def test_failure_keeps_stderr_tail_and_a_one_line_reason():
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-progress", "pipe:1",
        "-f", "lavfi", "-i", "testsrc2=duration=1", "-c:v", "no-such-encoder", "-f", "null", "-",
    ]  # fmt: skip

    with pytest.raises(EncodeFailedError) as caught:
        run_ffmpeg(argv, duration=1)

    assert "no-such-encoder" in caught.value.stderr_tail
    assert caught.value.reason.startswith("ffmpeg failed: ")
    assert "\n" not in caught.value.reason
    assert not caught.value.permanent


def test_the_reason_is_the_message_not_its_repeat_count():
    tail = (
        "av_interleaved_write_frame(): No space left on device\n    Last message repeated 1 times"
    )

    failure = _failure(1, tail)

    assert failure.reason == "ffmpeg failed: av_interleaved_write_frame(): No space left on device."
    assert failure.stderr_tail == tail


def test_exception_in_callback_does_not_leave_ffmpeg_running(monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", recording_popen)

    def explode(_):
        raise RuntimeError("callback broke")

    with pytest.raises(RuntimeError, match="callback broke"):
        run_ffmpeg(realtime_source(30), duration=30, on_progress=explode)

    assert started[0].returncode is not None


def test_side_by_side_passes_run_at_once_and_return_in_order():
    # Each pass waits at the barrier for the other: one after the other, the first would wait
    # in vain until the barrier broke.
    both = threading.Barrier(2, timeout=60)

    def meeting(result):
        def run(stop):
            both.wait()
            run_ffmpeg(realtime_source(0.3), duration=0.3, cancel=stop)
            return result

        return run

    assert run_side_by_side([meeting("first"), meeting("second")]) == ["first", "second"]


def test_a_failing_pass_stops_the_other_and_its_own_error_is_raised():
    started = time.monotonic()

    def fails(stop):
        raise EncodeFailedError("The loudness pass found no audio.")

    def long_pass(stop):
        return run_ffmpeg(realtime_source(30), duration=30, cancel=stop)

    with pytest.raises(EncodeFailedError, match="found no audio"):
        run_side_by_side([long_pass, fails])

    assert time.monotonic() - started < 20  # the 30 s pass was stopped, not waited for


def test_cancelling_stops_every_pass():
    cancel = threading.Event()
    started = time.monotonic()

    def long_pass(stop):
        return run_ffmpeg(
            realtime_source(30), duration=30, cancel=stop, on_progress=lambda _: cancel.set()
        )

    with pytest.raises(TranscodeCancelledError):
        run_side_by_side([long_pass, long_pass], cancel=cancel)

    assert time.monotonic() - started < 20


def test_a_process_that_closes_its_progress_and_hangs_is_still_watched():
    # Once the progress output closes the loop waits on the exit itself; a process that
    # closes it and then hangs must still meet the stall limit.
    argv = ["sh", "-c", "exec >&-; exec sleep 60"]

    with pytest.raises(TranscodeTimeoutError, match="no progress for 20 seconds"):
        run_ffmpeg(argv, duration=10, stall_timeout=20, clock=ticking_clock())
