import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from huey.contrib.djhuey import HUEY

from catalog import outputs, tasks
from catalog.models import Video, VideoStatus
from catalog.services import video_create
from tests.media import generate_video
from tests.support import child_processes

# Three small rungs: a 854x480 source fills all of them, and ultrafast spares the 2 shared cores.
TEST_RENDITIONS = ["240p", "360p", "480p"]


@pytest.fixture(autouse=True)
def _small_fast_ladder(settings):
    settings.VIDEO_TRANSCODE_RENDITIONS = TEST_RENDITIONS
    settings.VIDEO_TRANSCODE_PRESET = "ultrafast"
    settings.VIDEO_TRANSCODE_RETRY_DELAY_SECONDS = 0


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("source-media")


@pytest.fixture(scope="session")
def clip_480p(media_dir):
    """3 s, 854x480 with audio: enough for all three test rungs."""
    return generate_video(media_dir / "clip-480p.mp4", seconds=3, width=854, height=480)


@pytest.fixture(scope="session")
def clip_small(media_dir):
    """2 s, 320x240: a single rung, the quickest real transcode."""
    return generate_video(media_dir / "clip-small.mp4", seconds=2, width=320, height=240)


@pytest.fixture(scope="session")
def clip_long(media_dir):
    """20 s, 640x360: a transcode that lasts several seconds, to act while it runs."""
    return generate_video(media_dir / "clip-long.mp4", seconds=20, width=640, height=360)


@pytest.fixture(scope="session")
def not_a_video(media_dir):
    path = media_dir / "notes.mp4"
    path.write_text("These are meeting notes, not a film.\n")
    return path


@pytest.fixture
def real_queue():
    """Tasks go into the configured queue (Redis or Huey's SQLite file) instead of running;
    the queue is emptied before and after. A test may switch back to immediate mode."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.immediate = False
    HUEY.flush()


@pytest.fixture
def upload(staff_user):
    """Create a video through the service from a local file, as the admin or command would."""

    def create(path: Path, **fields) -> Video:
        fields.setdefault("title", path.stem)
        fields.setdefault("uploaded_by", staff_user)
        with path.open("rb") as source:
            return video_create(original=File(source, name=path.name), **fields)

    return create


@pytest.fixture
def make_row(db):
    """A catalog row as a finished transcode leaves it (files are not needed to list it)."""
    counter = iter(range(1, 10_000))

    def make(**fields) -> Video:
        number = next(counter)
        fields.setdefault("title", f"Film {number}")
        fields.setdefault("status", VideoStatus.READY)
        fields.setdefault("is_published", True)
        fields.setdefault("original", f"originals/film-{number}.mp4")
        if fields["status"] == VideoStatus.READY:
            fields.setdefault("output_live", True)
            fields.setdefault("renditions", ["480p", "720p"])
            fields.setdefault("duration", 12.5)
        video = Video.objects.create(**fields)
        if video.output_live:
            video.thumbnail.name = f"hls/{video.pk}/thumbnail.jpg"
            video.save(update_fields=["thumbnail"])
        return video

    return make


def leftover_work_dir(video_id: int) -> Path:
    """A work folder as a transcode attempt that never finished leaves it behind."""
    work = outputs.hls_root() / outputs.WORK_FOLDER / f"{video_id}-{os.urandom(6).hex()}"
    work.mkdir(parents=True)
    return work


def files_under(folder: Path) -> dict[str, float]:
    """Every file below `folder` (symlinks followed) with its modification time."""
    folder = folder.resolve()
    return {
        str(path.relative_to(folder)): path.stat().st_mtime
        for path in folder.rglob("*")
        if path.is_file()
    }


def media_files(media_root: Path) -> list[str]:
    """Every file and symlink left in MEDIA_ROOT, relative to it."""
    return sorted(
        str(path.relative_to(media_root))
        for path in media_root.rglob("*")
        if path.is_file() or path.is_symlink()
    )


def worker_thread(video_id: int) -> threading.Thread:
    """Run the transcode task on a thread of its own, as a worker thread of the consumer would."""

    def work():
        try:
            tasks.transcode_video.call_local(video_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work, name=f"test-worker-{video_id}")
    thread.start()
    return thread


class FfmpegKiller:
    """Kills this process's ffmpeg children with SIGKILL, as an OOM killer or admin would.

    One kill per attempt: after a kill it waits until no ffmpeg child is left (the attempt's
    other passes, which run side by side, are stopped by the failure) before the next.
    """

    def __init__(self, times: int):
        self.remaining = times
        self.killed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while self.remaining and not self._stop.is_set():
            for pid in child_processes(os.getpid(), "ffmpeg"):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.killed += 1
                self.remaining -= 1
                while not self._stop.is_set() and child_processes(os.getpid(), "ffmpeg"):
                    time.sleep(0.02)
                break
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@pytest.fixture
def kill_ffmpeg():
    return FfmpegKiller
