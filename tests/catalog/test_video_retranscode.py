"""video_retranscode: a fresh job, refused while one runs; the live output plays until the swap."""

import os

import pytest

from catalog import transcode_jobs
from catalog.models import Video, VideoStatus
from catalog.services import VideoBusyError, video_retranscode
from tests.catalog.conftest import files_under, worker_thread
from tests.support import child_processes, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # real transcodes


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_old_output_keeps_playing_until_the_new_one_replaces_it(
    settings, auth_client, upload, clip_long, real_queue
):
    real_queue.immediate = True
    video = upload(clip_long, title="Re-encoded", publish=True)
    video.refresh_from_db()
    assert video.renditions == ["240p", "360p"]
    old_version = video.hls_dir.resolve()
    old_files = files_under(video.hls_dir)
    real_queue.immediate = False
    settings.VIDEO_TRANSCODE_RENDITIONS = ["240p"]  # the new output differs visibly

    video_retranscode(video=video)
    worker = worker_thread(video.pk)
    try:
        wait_for(
            lambda: (
                Video.objects.get(pk=video.pk).status == VideoStatus.PROCESSING
                and child_processes(os.getpid(), "ffmpeg")
            ),
            what="the re-transcode to be encoding",
        )
        # Mid-way: the old output is untouched and still served.
        assert files_under(video.hls_dir) == old_files
        master = auth_client.get(f"/api/video/{video.pk}/master.m3u8")
        assert master.status_code == 200
        assert b"360p/index.m3u8" in body(master)
        segment = auth_client.get(f"/api/video/{video.pk}/360p/segment000.ts")
        assert segment.status_code == 200
        assert [item["id"] for item in auth_client.get("/api/video/").json()] == [video.pk]
    finally:
        worker.join(timeout=120)

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == ["240p"]
    assert video.hls_dir.resolve() != old_version
    assert not old_version.exists()
    master = auth_client.get(f"/api/video/{video.pk}/master.m3u8")
    assert b"240p/index.m3u8" in body(master)
    assert b"360p/index.m3u8" not in body(master)
    versions = [p for p in video.hls_dir.parent.iterdir() if p.name.startswith(f"{video.pk}.")]
    assert versions == [video.hls_dir.resolve()]


def test_a_failed_retranscode_leaves_the_old_output_live(
    settings, auth_client, upload, clip_small, kill_ffmpeg
):
    video = upload(clip_small, title="Still playing", publish=True)
    video.refresh_from_db()
    old_files = files_under(video.hls_dir)
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 1

    with kill_ffmpeg(times=1):
        video_retranscode(video=video)

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert video.error.endswith("Gave up after 1 attempt.")
    assert files_under(video.hls_dir) == old_files
    assert auth_client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 200


def test_a_failed_video_can_be_transcoded_again_with_a_fresh_attempt_budget(
    settings, upload, clip_small, kill_ffmpeg
):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 1
    with kill_ffmpeg(times=1):
        video = upload(clip_small, title="Second chance")
    video.refresh_from_db()
    assert (video.status, video.attempts) == (VideoStatus.FAILED, 1)

    video_retranscode(video=video)

    video.refresh_from_db()
    assert (video.status, video.attempts, video.error) == (VideoStatus.READY, 1, "")


def test_retranscode_is_refused_while_a_transcode_runs(upload, clip_small, real_queue):
    video = upload(clip_small, title="Busy")
    claim = transcode_jobs.video_claim(video_id=video.pk)

    with pytest.raises(VideoBusyError):
        video_retranscode(video=video)

    video.refresh_from_db()
    assert (video.status, video.transcode_started_at) == (VideoStatus.PROCESSING, claim.claimed_at)
    assert real_queue.pending_count() == 1  # only the upload's own
