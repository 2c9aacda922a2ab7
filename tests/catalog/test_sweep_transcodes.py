"""The periodic sweep: abandoned jobs requeued or failed, lost queue entries queued again,
orphaned folders removed."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from catalog import outputs, tasks, transcode_jobs
from catalog.models import Video, VideoStatus
from catalog.selectors import video_busy_flags
from tests.catalog.conftest import files_under, leftover_work_dir

pytestmark = pytest.mark.django_db(transaction=True)


def long_ago(seconds: float = 3600):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture
def abandoned(upload, clip_small, real_queue):
    """A video whose worker claimed it, started writing, and died (no more heartbeats)."""

    def make(**fields):
        video = upload(clip_small, title="Abandoned")
        claim = transcode_jobs.video_claim(video_id=video.pk)  # the "worker" is us
        work = leftover_work_dir(video.pk)
        (work / "half-written.ts").write_bytes(b"\x47" * 188)
        Video.objects.filter(pk=video.pk).update(heartbeat_at=long_ago(), **fields)
        real_queue.immediate = True  # what the sweep queues runs here
        return video, claim, work

    return make


def test_an_abandoned_job_is_requeued_and_finishes(abandoned):
    video, claim, dead_work = abandoned()

    tasks.sweep_transcodes.call_local()

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.attempts == claim.attempt + 1
    assert not dead_work.exists()
    assert video.renditions == ["240p"]


def test_an_abandoned_job_on_its_last_attempt_fails(settings, abandoned):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 3
    video, _, dead_work = abandoned(attempts=3)

    tasks.sweep_transcodes.call_local()

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    assert video.error == ("The transcoding worker stopped responding. Gave up after 3 attempts.")
    assert not dead_work.exists()


def test_a_job_with_a_fresh_heartbeat_is_left_alone(upload, clip_small, real_queue):
    video = upload(clip_small, title="Busy")
    claim = transcode_jobs.video_claim(video_id=video.pk)
    work = leftover_work_dir(video.pk)
    real_queue.immediate = True

    tasks.sweep_transcodes.call_local()

    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert video.transcode_started_at == claim.claimed_at
    assert work.exists()


def test_a_lost_queue_entry_is_queued_again(upload, clip_small, real_queue):
    video = upload(clip_small, title="Never picked up")
    real_queue.flush()  # the queue lost it (e.g. Redis restarted without persistence)
    Video.objects.filter(pk=video.pk).update(heartbeat_at=long_ago(7200))
    real_queue.immediate = True

    tasks.sweep_transcodes.call_local()

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error


def test_a_recently_queued_video_is_not_queued_twice(upload, clip_small, real_queue):
    video = upload(clip_small, title="Waiting its turn")

    tasks.sweep_transcodes.call_local()

    assert Video.objects.get(pk=video.pk).status == VideoStatus.PENDING
    assert real_queue.pending_count() == 1


def test_orphaned_folders_go_and_everything_in_use_stays(upload, clip_small, real_queue):
    real_queue.immediate = True
    ready = upload(clip_small, title="Ready")
    ready.refresh_from_db()
    live_files = files_under(ready.hls_dir)
    root = outputs.hls_root()
    # Leftovers of crashes: a version never swapped in, a link never renamed, a dead work folder.
    stale_version = root / f"{ready.pk}.0123456789ab"
    stale_version.mkdir()
    stale_link = root / f".{ready.pk}.link-0123456789ab"
    stale_link.symlink_to(stale_version.name)
    dead_work = leftover_work_dir(ready.pk)
    # Output of a video deleted while the worker could not clean up.
    (root / "999999.0123456789ab").mkdir()
    (root / "999999").symlink_to("999999.0123456789ab")
    # A transcode running right now keeps its work folder.
    real_queue.immediate = False
    running = upload(clip_small, title="Running")
    transcode_jobs.video_claim(video_id=running.pk)
    running_work = leftover_work_dir(running.pk)

    removed = outputs.remove_orphans(busy=video_busy_flags)

    assert set(removed) == {
        stale_version,
        stale_link,
        dead_work,
        root / "999999.0123456789ab",
        root / "999999",
    }
    assert running_work.exists()
    assert files_under(ready.hls_dir) == live_files


def test_the_sweep_runs_every_minute():
    minutes = [datetime(2026, 3, 1, hour, minute) for hour in (0, 13) for minute in range(60)]

    due = [
        moment
        for moment in minutes
        if any(task.name == "sweep_transcodes" for task in HUEY.read_periodic(moment))
    ]

    assert due == minutes
