import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.signals import request_started

from catalog.models import Video, VideoStatus
from tests.media import generate_video
from transcoding import DEFAULT_LADDER, transcode

RUNGS = ("240p", "360p")
# Two small rungs with 2 s segments: a 4 s source gives two segments per rung, quickly.
TEST_LADDER = replace(
    DEFAULT_LADDER.select(list(RUNGS)),
    segment_seconds=2.0,
    keyframe_seconds=1.0,
    preset="ultrafast",
)


@pytest.fixture(scope="session")
def hls_output(tmp_path_factory) -> Path:
    """Real `transcoding.transcode` output (240p + 360p, thumbnail), made once per session."""
    work = tmp_path_factory.mktemp("hls")
    source = generate_video(work / "source.mp4", seconds=4, width=640, height=360)
    result = transcode(source, work / "output", ladder=TEST_LADDER, thumbnail_at=1.0)
    assert tuple(r.name for r in result.renditions) == RUNGS
    return result.output_dir


@pytest.fixture
def make_video(db, hls_output):
    """A video row with a copy of the session's HLS output in its own folder."""

    def make(*, status=VideoStatus.READY, is_published=True, with_output=True, **fields):
        fields.setdefault("renditions", list(RUNGS))
        video = Video.objects.create(
            title="Big Buck Test",
            original="originals/source.mp4",
            status=status,
            is_published=is_published,
            **fields,
        )
        if with_output:
            shutil.copytree(hls_output, video.hls_dir)
        return video

    return make


@pytest.fixture
def video(make_video):
    """A ready, published video with its HLS output in place."""
    return make_video()


@pytest.fixture
def django_saw():
    """The paths of the requests that reached Django's handler (in this process)."""
    paths = []

    def record(sender, environ, **kwargs):
        paths.append(environ["PATH_INFO"])

    request_started.connect(record)
    yield paths
    request_started.disconnect(record)
