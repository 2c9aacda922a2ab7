"""The transcode task end to end (Huey in immediate mode): real ffmpeg, real files, real rows."""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from catalog import outputs, tasks, transcode_jobs
from catalog.models import Video, VideoStatus
from catalog.services import video_delete
from tests.catalog.conftest import files_under, media_files, worker_thread
from tests.support import wait_for
from transcoding import DEFAULT_LADDER, TranscodingError, transcode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # real transcodes


def expected_failure(path, tmp_path) -> TranscodingError:
    """What the transcoding library itself says about `path`."""
    with pytest.raises(TranscodingError) as failure:
        transcode(path, tmp_path / "expected-output")
    return failure.value


def test_upload_becomes_ready_with_three_renditions_and_a_thumbnail(auth_client, upload, clip_480p):
    video = upload(clip_480p, title="Three rungs", publish=True)

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == ["240p", "360p", "480p"]
    assert (video.progress, video.error, video.attempts) == (100, "", 1)
    assert (video.width, video.height) == (854, 480)
    assert video.duration == pytest.approx(3.0, abs=0.2)
    assert video.source_metadata["video"]["width"] == 854
    assert video.transcode_started_at < video.transcode_finished_at
    live = video.hls_dir.resolve()
    assert live != video.hls_dir
    assert live.parent == video.hls_dir.parent
    master = (video.hls_dir / "master.m3u8").read_text()
    for rung in video.renditions:
        assert f"{rung}/index.m3u8" in master
        assert sorted(p.name for p in (live / rung).glob("*.ts"))
    assert video.thumbnail.name == f"hls/{video.pk}/thumbnail.jpg"
    assert video.thumbnail.open("rb").read(2) == b"\xff\xd8"  # a JPEG
    assert not list((outputs.hls_root() / outputs.WORK_FOLDER).iterdir())
    # What the catalog lists, streaming serves.
    [listed] = auth_client.get("/api/video/").json()
    thumbnail = auth_client.get(listed["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert b"".join(thumbnail.streaming_content) == video.thumbnail.open("rb").read()
    detail = auth_client.get(f"/api/video/{video.pk}/").json()
    assert auth_client.get(detail["master_url"]).status_code == 200
    # I-frame playlists, storyboard and loudness come with every transcode.
    assert video.output_features["iframe_playlists"] == video.renditions
    assert detail["has_iframe_playlists"] is True
    assert auth_client.get(detail["storyboard_url"]).status_code == 200
    assert detail["loudness"]["target_lufs"] == -16.0
    assert detail["loudness"] == video.output_features["loudness"]
    # The per-title choice is kept for staff, and stays out of the viewers' API.
    encoding = video.output_features["encoding"]
    assert encoding["class"] in {tuning.name for tuning in DEFAULT_LADDER.tunings}
    assert encoding["complexity"]["frames"] > 0
    assert encoding["complexity"]["intra_bits_per_pixel"] > 0
    assert encoding["complexity"]["intra_ratio"] > 1  # intra frames cost more than the rest
    assert "encoding" not in detail


def test_corrupt_upload_fails_with_the_library_reason_and_leaves_other_videos_alone(
    upload, clip_480p, clip_small, tmp_path
):
    good = upload(clip_small, title="Good")
    good.refresh_from_db()
    good_files = files_under(good.hls_dir)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(clip_480p.read_bytes()[: clip_480p.stat().st_size // 3])
    library_says = expected_failure(corrupt, tmp_path)
    assert library_says.permanent

    broken = upload(corrupt, title="Broken")

    broken.refresh_from_db()
    assert broken.status == VideoStatus.FAILED
    assert broken.error == library_says.reason
    assert broken.attempts == 1  # permanent: no retry
    assert broken.renditions == []
    assert not broken.thumbnail
    assert not broken.hls_dir.exists()
    good.refresh_from_db()
    assert good.status == VideoStatus.READY
    assert files_under(good.hls_dir) == good_files


def test_a_file_that_is_not_a_video_fails_at_once(upload, not_a_video, tmp_path):
    video = upload(not_a_video, title="Notes")

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert video.error == expected_failure(not_a_video, tmp_path).reason
    assert video.attempts == 1


def test_an_unexpected_error_fails_the_video_with_a_reason_and_logs_the_details(
    settings, caplog, upload, clip_small
):
    # A rung no ladder knows: a ValueError from inside the run, not a TranscodingError.
    settings.VIDEO_TRANSCODE_RENDITIONS = ["999p"]

    video = upload(clip_small, title="Meets a bug")

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED  # not left in processing
    assert video.error == "Transcoding failed unexpectedly; the worker log has the details."
    assert video.attempts == 1  # a bug is not retried
    assert "Unknown rendition 999p" in caplog.text  # the traceback is in the worker log


def test_a_file_error_is_retried_then_fails_with_its_reason(settings, upload, clip_small):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 2
    # Where the work folders go is a file: every attempt's mkdir fails, no root needed.
    outputs.hls_root().mkdir(parents=True)
    (outputs.hls_root() / outputs.WORK_FOLDER).write_text("in the way")

    video = upload(clip_small, title="Nowhere to work")

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert video.attempts == 2
    assert video.error.startswith("A file operation failed: Not a directory.")
    assert video.error.endswith("Gave up after 2 attempts.")


def test_transient_failure_is_retried_and_then_succeeds(upload, clip_480p, kill_ffmpeg):
    with kill_ffmpeg(times=1) as killer:
        video = upload(clip_480p, title="Killed once")

    video.refresh_from_db()
    assert killer.killed == 1
    assert video.status == VideoStatus.READY, video.error
    assert video.attempts == 2
    assert video.error == ""


def test_transient_failures_stop_at_the_attempt_limit(settings, upload, clip_480p, kill_ffmpeg):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 2
    with kill_ffmpeg(times=2) as killer:
        video = upload(clip_480p, title="Killed every time")

    video.refresh_from_db()
    assert killer.killed == 2
    assert video.status == VideoStatus.FAILED
    assert video.attempts == 2
    assert "killed by signal 9" in video.error
    assert video.error.endswith("Gave up after 2 attempts.")
    assert not video.hls_dir.exists()


def test_retries_back_off(settings, upload, clip_480p, kill_ffmpeg):
    settings.VIDEO_TRANSCODE_RETRY_DELAY_SECONDS = 30
    HUEY.flush()  # immediate mode's in-memory queue
    before = timezone.now().replace(tzinfo=None)
    with kill_ffmpeg(times=1):
        video = upload(clip_480p, title="Waits before retrying")
    after = timezone.now().replace(tzinfo=None)

    video.refresh_from_db()
    assert video.status == VideoStatus.PENDING
    assert video.error.endswith("Attempt 1 of 3 failed; retrying in 30 s.")
    [retry] = HUEY.scheduled()
    assert retry.args == (video.pk,)
    assert before + timedelta(seconds=30) <= retry.eta <= after + timedelta(seconds=30)

    claim = transcode_jobs.video_claim(video_id=video.pk)
    second = transcode_jobs.video_record_failure(claim=claim, reason="Disk hiccup.", retryable=True)
    assert second.delay == 60


def test_progress_is_saved_at_most_once_per_interval(monkeypatch, upload, clip_long):
    interval = 0.05  # the clip takes ~2 s on a fast machine, far longer loaded: 40 intervals
    monkeypatch.setattr(tasks, "PROGRESS_SAVE_SECONDS", interval)
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        video = upload(clip_long, title="Long enough to report progress")
        elapsed = time.monotonic() - started

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    set_clauses = [
        q["sql"].partition(" SET ")[2].partition(" WHERE ")[0]
        for q in queries
        if q["sql"].startswith("UPDATE")
    ]
    heartbeats = [s for s in set_clauses if '"progress"' in s and '"status"' not in s]
    assert elapsed > interval * 4, "the clip no longer takes long enough"
    assert 2 <= len(heartbeats) <= elapsed / interval + 1
    saved = [int(re.search(r'"progress" = (\d+)', s).group(1)) for s in heartbeats]
    assert saved == sorted(saved)
    assert any(0 < percent < 100 for percent in saved), saved


def test_deleting_a_video_while_it_transcodes_stops_the_job_and_leaves_no_file(
    settings, monkeypatch, caplog, upload, clip_long, real_queue
):
    monkeypatch.setattr(tasks, "PROGRESS_SAVE_SECONDS", 0.2)
    # Queued only; the task runs on a thread of our own.
    video = upload(clip_long, title="Deleted midway")
    worker = worker_thread(video.pk)
    try:
        wait_for(
            lambda: Video.objects.filter(
                pk=video.pk, status=VideoStatus.PROCESSING, progress__gt=0
            ).exists(),
            what="the worker to be encoding",  # past the probe, which the deletion would fail
        )
        video_delete(video=Video.objects.get(pk=video.pk))
    finally:
        worker.join(timeout=120)
    assert not worker.is_alive()
    # Stopped at a heartbeat that found the claim gone, not by running to the end.
    assert f"Video {video.pk} was taken from this worker; stopping." in caplog.messages
    # Whether ffmpeg failed on the removed files first or the heartbeat stopped it, the
    # deleted video's run is not reported as a failure.
    assert not [m for m in caplog.messages if "failed" in m]
    assert media_files(settings.MEDIA_ROOT) == []


def test_claims_race_and_exactly_one_wins(upload, clip_small, real_queue):
    video = upload(clip_small, title="Wanted by many")
    contenders = 6
    start = threading.Barrier(contenders)
    claims = []

    def contend():
        start.wait()
        try:
            claims.append(transcode_jobs.video_claim(video_id=video.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [claim for claim in claims if claim is not None]
    assert len(claims) == contenders
    assert len(winners) == 1
    video.refresh_from_db()
    assert (video.status, video.attempts) == (VideoStatus.PROCESSING, 1)
    assert video.transcode_started_at == winners[0].claimed_at


def test_a_second_run_for_a_finished_video_changes_nothing(upload, clip_small):
    video = upload(clip_small, title="Queued twice")
    video.refresh_from_db()
    live_files = files_under(video.hls_dir)

    tasks.transcode_video(video.pk)

    after = Video.objects.get(pk=video.pk)
    assert (after.status, after.attempts, after.updated_at) == (
        VideoStatus.READY,
        1,
        video.updated_at,
    )
    assert files_under(video.hls_dir) == live_files
