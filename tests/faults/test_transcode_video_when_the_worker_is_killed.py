"""transcode_video: a worker SIGKILLed mid-transcode and restarted; the sweep requeues the
abandoned job, it ends ready, and nothing the dead worker wrote is left behind."""

import os
import signal

import pytest

from tests.faults.conftest import (
    RUN_SWEEP,
    assert_one_live_output,
    encoder_of,
    sweep_until_requeued,
    upload,
    wait_for_status,
)
from tests.media import generate_video
from tests.support import is_running, wait_for

pytestmark = pytest.mark.slow  # real processes and tens of seconds of encoding


def test_worker_killed_mid_transcode_then_restarted_ends_ready_without_orphans(
    make_stack, tmp_path
):
    # Long enough that the encode is surely still running when the kill comes, which on a
    # fast machine the shared 30 s film is not.
    source = generate_video(tmp_path / "film.mp4", seconds=90, width=640, height=360)
    stack = make_stack("workerkill")
    worker = stack.start_worker()
    video_id = upload(stack, source, "Abandoned film")
    encoder = wait_for(lambda: encoder_of(worker.pid), timeout=60, what="the encode", every=0.05)
    wait_for(lambda: stack.video(video_id)["progress"] > 0, timeout=30, what="some progress")
    stack.kill("worker", group=False)  # SIGKILL to the worker alone, as the OOM killer would
    assert stack.video(video_id)["status"] == "processing"
    wait_for(lambda: not is_running(encoder), timeout=60, what="the dead worker's ffmpeg to end")

    stack.start_worker()

    sweep_until_requeued(stack, video_id)
    row = wait_for_status(stack, video_id, "ready", "failed")
    assert row["status"] == "ready", row
    assert row["attempts"] == 2
    stack.shell(RUN_SWEEP)  # the next sweep removes the dead worker's temporary folder
    assert_one_live_output(stack, video_id)


def test_no_ffmpeg_outlives_a_killed_worker(make_stack, tmp_path):
    # Four minutes of film: an encode that would run on long after the kill.
    source = generate_video(tmp_path / "long.mp4", seconds=240, audio=False)
    stack = make_stack("orphans")
    worker = stack.start_worker()
    upload(stack, source, "Film of a dying worker")
    encoder = wait_for(lambda: encoder_of(worker.pid), timeout=60, what="the encode", every=0.05)

    stack.kill("worker", group=False)

    try:
        wait_for(lambda: not is_running(encoder), timeout=60, what="ffmpeg to die with its worker")
    finally:
        if is_running(encoder):
            os.kill(encoder, signal.SIGKILL)
    # Killed, not finished: ffmpeg ends every playlist it completes with #EXT-X-ENDLIST.
    playlists = list((stack.media_root / "hls" / ".work").rglob("*.m3u8"))
    assert not [p for p in playlists if "#EXT-X-ENDLIST" in p.read_text()], playlists
