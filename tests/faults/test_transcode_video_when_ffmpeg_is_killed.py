"""transcode_video: ffmpeg killed mid-run is a transient failure: retried, the video ends ready."""

import os
import signal
import time

import pytest

from tests.faults.conftest import (
    assert_one_live_output,
    encoder_of,
    upload,
    wait_for_status,
)
from tests.support import is_running, wait_for

pytestmark = pytest.mark.slow  # real processes and tens of seconds of encoding


def test_ffmpeg_killed_mid_run_is_retried_and_the_video_ends_ready(make_stack, source):
    stack = make_stack("ffmpegkill")
    worker = stack.start_worker()
    video_id = upload(stack, source, "Interrupted film")
    encoder = wait_for(lambda: encoder_of(worker.pid), timeout=60, what="the encode", every=0.05)
    time.sleep(0.5)  # mid-run: some segments are written
    assert is_running(encoder), "the encode ended before it could be interrupted"
    os.kill(encoder, signal.SIGKILL)

    row = wait_for_status(stack, video_id, "ready", "failed")

    assert row["status"] == "ready", row
    assert row["attempts"] == 2
    assert row["error"] == ""
    assert "ffmpeg was killed by signal 9" in stack.log("worker")
    assert_one_live_output(stack, video_id)
