"""Real worker processes: `manage.py run_huey` on the configured queue (Redis when REDIS_URL is
set, else Huey's SQLite file), sharing the test database with this process."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from catalog import tasks
from catalog.models import Video, VideoStatus
from tests.catalog.conftest import TEST_RENDITIONS
from tests.support import ROOT, child_processes, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def worker_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no database URL for a worker process on {connection.vendor}")


@pytest.fixture
def consumer(real_queue):
    """Start `manage.py run_huey` against this test's database and media; stopped at the end."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VIDEO_TRANSCODE_RENDITIONS": ",".join(TEST_RENDITIONS),
        "VIDEO_TRANSCODE_PRESET": "ultrafast",
        "HUEY_IMMEDIATE": "false",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    started = []

    def start(*options: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "1", *options],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: ffmpeg children die with it
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def status_of(video: Video) -> str:
    return Video.objects.values_list("status", flat=True).get(pk=video.pk)


def test_a_consumer_process_transcodes_an_upload(consumer, upload, clip_480p):
    worker = consumer()
    video = upload(clip_480p, title="Through the real queue")
    assert status_of(video) == VideoStatus.PENDING  # queued, not run in this process

    wait_for(
        lambda: status_of(video) in (VideoStatus.READY, VideoStatus.FAILED) or worker.poll(),
        timeout=180,
        every=0.5,
        what="the consumer to finish the transcode",
    )

    assert worker.poll() is None, worker.stderr.read()
    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == TEST_RENDITIONS
    assert (video.hls_dir / "master.m3u8").is_file()
    assert Path(video.thumbnail.path).is_file()


def test_a_worker_killed_midway_is_requeued_by_the_sweep_and_finishes(
    settings, consumer, real_queue, upload, clip_long
):
    worker = consumer("--no-periodic")
    video = upload(clip_long, title="Worker dies")
    wait_for(
        lambda: (
            status_of(video) == VideoStatus.PROCESSING and child_processes(worker.pid, "ffmpeg")
        ),
        timeout=120,
        what="the worker to be encoding",
    )

    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    video.refresh_from_db()
    assert (video.status, video.attempts) == (VideoStatus.PROCESSING, 1)
    work_root = video.hls_dir.parent / ".work"
    assert list(work_root.iterdir()), "the dead worker should have left its work folder"
    stale = timezone.now() - timedelta(seconds=settings.VIDEO_HEARTBEAT_STALE_SECONDS + 1)
    Video.objects.filter(pk=video.pk).update(heartbeat_at=stale)  # as if long dead

    real_queue.immediate = True  # the requeued job runs here
    tasks.sweep_transcodes.call_local()

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.attempts == 2
    assert list(work_root.iterdir()) == []
    versions = [p.name for p in video.hls_dir.parent.iterdir() if p.name.startswith(f"{video.pk}.")]
    assert len(versions) == 1
