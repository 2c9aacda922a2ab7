"""transcode() on the awkward sources real uploads bring, each generated tiny with ffmpeg."""

import itertools
import json
import subprocess

import pytest

from tests.media import FAST_H264, generate_video
from tests.transcoding.conftest import TINY_LADDER
from transcoding import CorruptSourceError, NotMediaError, probe, transcode

pytestmark = pytest.mark.slow


def ffprobe_streams(path, *args):
    completed = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", *args, str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout)["streams"]


def first_segment_streams(result, rung):
    return ffprobe_streams(result.output_dir / rung.name / "segment000.ts")


def packet_times(path):
    completed = subprocess.run(
        [
            "ffprobe", "-v", "error", "-of", "json", "-select_streams", "v",
            "-show_entries", "packet=pts_time", str(path),
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(float(p["pts_time"]) for p in json.loads(completed.stdout)["packets"])


def video_of(streams):
    return next(s for s in streams if s["codec_type"] == "video")


def master_lines(result):
    return [
        line
        for line in result.master_playlist.read_text().splitlines()
        if line.startswith("#EXT-X-STREAM-INF")
    ]


def test_no_audio_track_gives_video_only_rungs(tmp_path):
    source = generate_video(tmp_path / "silent.mp4", seconds=3, audio=False)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    for rung in result.renditions:
        assert [s["codec_type"] for s in first_segment_streams(result, rung)] == ["video"]
    assert all('CODECS="avc1.' in line and "mp4a" not in line for line in master_lines(result))


def test_odd_width_and_height_become_even(tmp_path):
    source = generate_video(tmp_path / "odd.mkv", seconds=2, width=321, height=241)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    assert [(r.width, r.height) for r in result.renditions] == [(192, 144), (320, 240)]
    for rung in result.renditions:
        video = video_of(first_segment_streams(result, rung))
        assert (video["width"], video["height"]) == (rung.width, rung.height)


def test_portrait_source_keeps_portrait_rungs(tmp_path):
    source = generate_video(tmp_path / "portrait.mp4", seconds=2, width=240, height=426)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    assert [(r.name, r.width, r.height) for r in result.renditions] == [
        ("144p", 144, 256),
        ("240p", 240, 426),
    ]
    assert (result.width, result.height) == (240, 426)


def test_rotation_metadata_is_applied_once(tmp_path):
    upright = generate_video(tmp_path / "upright.mp4", seconds=2, width=320, height=240)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-i", str(upright),
            "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated),
        ],
        check=True,
    )  # fmt: skip
    info = probe(rotated)
    assert (info.video.width, info.video.height) == (320, 240)
    assert (info.video.display_width, info.video.display_height) == (240, 320)

    result = transcode(rotated, tmp_path / "hls", ladder=TINY_LADDER)

    top = result.renditions[-1]
    assert (top.width, top.height) == (240, 320)
    video = video_of(first_segment_streams(result, top))
    assert (video["width"], video["height"]) == (240, 320)
    assert "side_data_list" not in video  # no display matrix left to rotate it twice
    thumbnail = ffprobe_streams(result.thumbnail)[0]
    assert (thumbnail["width"], thumbnail["height"]) == (240, 320)


def test_variable_frame_rate_becomes_constant(tmp_path):
    # 50 fps for the first second, then every fifth frame only: 10 fps.
    source = generate_video(
        tmp_path / "vfr.mp4",
        seconds=3,
        fps=50,
        extra_args=("-vf", "select='lt(t,1)+not(mod(n,5))'", "-fps_mode", "vfr"),
    )
    info = probe(source)
    assert info.video.variable_frame_rate

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    rate = result.renditions[0].frame_rate
    assert rate == pytest.approx(info.video.average_frame_rate, abs=0.01)
    times = packet_times(result.output_dir / "144p" / "index.m3u8")
    steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert steps == {round(1 / rate, 3)}


def test_interlaced_source_is_deinterlaced(tmp_path):
    source = generate_video(
        tmp_path / "interlaced.mkv",
        seconds=2,
        video_args=(*FAST_H264, "-flags", "+ildct+ilme", "-field_order", "tt"),
    )
    assert probe(source).video.interlaced

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    video = video_of(first_segment_streams(result, result.renditions[-1]))
    assert video.get("field_order", "progressive") == "progressive"


def test_ten_bit_source_gives_eight_bit_420(tmp_path):
    source = generate_video(
        tmp_path / "ten.mkv",
        seconds=2,
        video_args=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv422p10le"),
    )
    assert probe(source).video.bit_depth == 10

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    video = video_of(first_segment_streams(result, result.renditions[-1]))
    assert video["pix_fmt"] == "yuv420p"
    assert video["profile"] == "High"


def test_above_60_fps_is_halved(tmp_path):
    source = generate_video(tmp_path / "fast.mp4", seconds=2, width=192, height=144, fps=120)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    video = video_of(first_segment_streams(result, result.renditions[0]))
    assert video["r_frame_rate"] == "60/1"
    assert all(line.endswith("FRAME-RATE=60.000") for line in master_lines(result))


def test_several_audio_tracks_use_the_default_one(tmp_path):
    source = tmp_path / "tracks.mkv"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error",
            "-f", "lavfi", "-i", "testsrc2=size=192x144:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=900:duration=2,aformat=channel_layouts=stereo",
            "-map", "0", "-map", "1", "-map", "2", *FAST_H264,
            "-c:a", "aac", "-disposition:a:0", "0", "-disposition:a:1", "default",
            str(source),
        ],
        check=True,
    )  # fmt: skip
    info = probe(source)
    assert [(a.channels, a.default) for a in info.audio] == [(1, False), (2, True)]

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    audio = [
        s for s in first_segment_streams(result, result.renditions[0]) if s["codec_type"] == "audio"
    ]
    assert [a["channels"] for a in audio] == [2]


def test_corrupt_file_is_a_permanent_error_and_leaves_nothing(tmp_path, sample_video):
    data = bytearray(sample_video.read_bytes())
    # Keep the container's index intact but overwrite the coded pictures it points to.
    media_start, media_end = data.find(b"mdat") + 100, len(data) // 2
    data[media_start:media_end] = b"\xa5" * (media_end - media_start)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(bytes(data))

    with pytest.raises(CorruptSourceError) as caught:
        transcode(corrupt, tmp_path / "hls", ladder=TINY_LADDER)

    assert caught.value.permanent
    assert caught.value.stderr_tail
    assert not (tmp_path / "hls").exists()


def test_truncated_file_is_not_media(tmp_path, sample_video):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(sample_video.read_bytes()[:20_000])

    with pytest.raises(NotMediaError) as caught:
        transcode(truncated, tmp_path / "hls", ladder=TINY_LADDER)

    assert "moov atom not found" in caught.value.stderr_tail
