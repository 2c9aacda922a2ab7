"""transcode_video: the disk fills up during a re-transcode; the job fails with a reason and the
previous output stays intact and playing. Once there is room again, the next attempt works."""

import hashlib
from pathlib import Path

import pytest

from tests.faults.conftest import (
    api_call,
    assert_one_live_output,
    fill_disk,
    hls_entries,
    upload,
    wait_for_status,
)
from tests.media import generate_video

pytestmark = pytest.mark.slow  # real processes and tens of seconds of encoding


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_disk_full_fails_with_a_reason_and_keeps_the_previous_output(tmpfs, make_stack, tmp_path):
    source = generate_video(tmp_path / "film.mp4", seconds=8, width=640, height=360)
    tmpfs(tmp_path / "diskfull" / "media", 16)
    stack = make_stack("diskfull", env={"VIDEO_TRANSCODE_MAX_ATTEMPTS": "2"})
    stack.start_worker()
    stack.start_web()
    staff = stack.create_user("staff@example.com", staff=True)
    viewer = stack.create_user("viewer@example.com")
    video_id = upload(stack, source, "Film on a full disk")
    assert wait_for_status(stack, video_id, "ready", "failed")["status"] == "ready"
    live = assert_one_live_output(stack, video_id)
    before = fingerprint(live)
    filler = stack.media_root / "filler"
    fill_disk(filler, leave=64 * 1024)

    status, body = api_call(stack, "POST", f"/api/video/{video_id}/transcode/", staff)
    assert status == 202, body
    row = wait_for_status(stack, video_id, "failed")

    assert "space" in row["error"].lower(), row["error"]
    assert (stack.media_root / "hls" / str(video_id)).resolve() == live
    assert fingerprint(live) == before
    assert hls_entries(stack, video_id)["work"] == []
    status, playlist = api_call(stack, "GET", f"/api/video/{video_id}/master.m3u8", viewer)
    assert (status, playlist) == (200, (live / "master.m3u8").read_bytes())

    filler.unlink()
    status, body = api_call(stack, "POST", f"/api/video/{video_id}/transcode/", staff)
    assert status == 202, body
    assert wait_for_status(stack, video_id, "ready", "failed")["status"] == "ready"
    assert assert_one_live_output(stack, video_id) != live
