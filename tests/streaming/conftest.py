import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.models import Video, VideoStatus

RUNGS = ("240p", "360p")


def _encode_ladder(output_dir: Path) -> None:
    output_dir.mkdir()
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=4",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
        "-filter_complex", "[0:v]split=2[a][b];[a]scale=-2:240[v0];[b]scale=-2:360[v1]",
        "-map", "[v0]", "-map", "1:a", "-map", "[v1]", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k",
        "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(output_dir / "%v" / "segment%03d.ts"),
        "-master_pl_name", "master.m3u8",
        "-var_stream_map", "v:0,a:0,name:240p v:1,a:1,name:360p",
        str(output_dir / "%v" / "index.m3u8"),
    ]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc2=size=640x360:duration=1", "-frames:v", "1",
         str(output_dir / "thumbnail.jpg")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="session")
def hls_output(tmp_path_factory) -> Path:
    """One real HLS ladder (240p + 360p, 2 segments each, thumbnail) per test session."""
    output_dir = tmp_path_factory.mktemp("hls") / "output"
    _encode_ladder(output_dir)
    return output_dir


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
