import pytest

from tests.media import generate_video
from transcoding import Ladder, Progress, Rendition, transcode

# Tiny rungs so end-to-end tests encode a few hundred pixels, fast and for real.
TINY_LADDER = Ladder(
    renditions=(
        Rendition("144p", 144, max_bitrate=400, buffer_size=800, audio_bitrate=64, level="3.0"),
        Rendition("240p", 240, max_bitrate=700, buffer_size=1400, audio_bitrate=64, level="3.0"),
    ),
    segment_seconds=2.0,
    keyframe_seconds=1.0,
    preset="superfast",  # ultrafast would drop to Baseline; the tests check High
)


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory):
    """5 s of 320x240 testsrc2 with a sine tone."""
    return generate_video(tmp_path_factory.mktemp("media") / "sample.mp4", seconds=5)


@pytest.fixture(scope="session")
def silent_video(tmp_path_factory):
    return generate_video(tmp_path_factory.mktemp("media") / "silent.mp4", seconds=3, audio=False)


@pytest.fixture(scope="session")
def transcoded(tmp_path_factory, sample_video):
    """One real run of the sample through TINY_LADDER, shared by read-only tests."""
    seen: list[Progress] = []
    out = tmp_path_factory.mktemp("transcoded") / "hls"
    result = transcode(sample_video, out, ladder=TINY_LADDER, on_progress=seen.append)
    return result, seen
