"""transcode() end to end on tiny real media: layout, master playlist, thumbnail, atomicity."""

import json
import subprocess
import threading

import pytest

from tests.media import generate_video
from tests.transcoding.conftest import TINY_LADDER
from transcoding import (
    NotMediaError,
    OutputExistsError,
    TranscodeCancelledError,
    TranscodeTimeoutError,
    transcode,
)
from transcoding.hls import read_variant_playlist
from transcoding.mpegts import first_video_frame
from transcoding.pipeline import STALL_TIMEOUT_SECONDS, default_timeout


def ffprobe(path, *args):
    completed = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def workspace(tmp_path):
    """An empty folder of our own (tmp_path also holds the suite's MEDIA_ROOT)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_writes_master_variants_segments_and_thumbnail(transcoded):
    result, _ = transcoded
    out = result.output_dir

    assert sorted(p.name for p in out.iterdir()) == [
        "144p", "240p", "master.m3u8", "storyboard", "storyboard.vtt", "thumbnail.jpg",
    ]  # fmt: skip
    for rung in ("144p", "240p"):
        files = sorted(p.name for p in (out / rung).iterdir())
        assert files == [
            "iframes.m3u8", "index.m3u8", "segment000.ts", "segment001.ts", "segment002.ts",
        ]  # fmt: skip
    assert result.master_playlist == out / "master.m3u8"
    assert result.thumbnail == out / "thumbnail.jpg"


def test_result_describes_the_top_rung_and_the_source(transcoded):
    result, _ = transcoded

    assert result.duration == pytest.approx(5.0, abs=0.1)
    assert (result.width, result.height) == (320, 240)
    assert [(r.name, r.width, r.height) for r in result.renditions] == [
        ("144p", 192, 144),
        ("240p", 320, 240),
    ]
    assert result.source.video.width == 320
    json.dumps(result.as_dict())


def test_rungs_have_the_planned_size_h264_high_and_aac(transcoded):
    result, _ = transcoded
    for rendition in result.renditions:
        info = ffprobe(result.output_dir / rendition.name / "segment000.ts", "-show_streams")
        video, audio = info["streams"]
        assert (video["codec_name"], video["profile"]) == ("h264", "High")
        assert (video["width"], video["height"]) == (rendition.width, rendition.height)
        assert video["pix_fmt"] == "yuv420p"
        assert audio["codec_name"] == "aac"


def test_master_playlist_is_written_from_measured_output(transcoded):
    result, _ = transcoded
    lines = result.master_playlist.read_text().splitlines()

    assert lines[0] == "#EXTM3U"
    stream_infs = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    uris = [line for line in lines if line and not line.startswith("#")]
    assert uris == ["144p/index.m3u8", "240p/index.m3u8"]
    for line, rendition in zip(stream_infs, result.renditions, strict=True):
        folder = result.output_dir / rendition.name
        _, segments = read_variant_playlist(folder)
        sizes = [(folder / s.uri).stat().st_size for s in segments]
        average = round(8 * sum(sizes) / sum(s.duration for s in segments))
        peak_single = max(8 * size / s.duration for size, s in zip(sizes, segments, strict=True))
        assert f"AVERAGE-BANDWIDTH={average}," in line
        assert rendition.bandwidth >= average
        assert rendition.bandwidth <= peak_single + 1
        assert f"BANDWIDTH={rendition.bandwidth}," in line
        assert f"RESOLUTION={rendition.width}x{rendition.height}" in line
        assert 'CODECS="avc1.64' in line
        assert line.endswith(',mp4a.40.2",FRAME-RATE=25.000')


def test_codec_string_matches_the_encoded_level(transcoded):
    result, _ = transcoded
    rendition = result.renditions[0]
    info = ffprobe(result.output_dir / rendition.name / "segment000.ts", "-show_streams")

    level = info["streams"][0]["level"]
    assert rendition.codecs.startswith(f"avc1.6400{level:02x}")


def test_segments_are_aligned_and_start_on_keyframes(transcoded):
    result, _ = transcoded
    timelines = []
    for rendition in result.renditions:
        folder = result.output_dir / rendition.name
        target, segments = read_variant_playlist(folder)
        assert target == 2
        assert [s.duration for s in segments[:-1]] == pytest.approx([2.0, 2.0], abs=0.05)
        assert all(first_video_frame(folder / s.uri).keyframe for s in segments)
        timelines.append([round(s.duration, 2) for s in segments])
    assert timelines[0] == timelines[1]


def test_keyframes_fall_on_the_time_grid_only(transcoded):
    result, _ = transcoded
    packets = ffprobe(
        result.output_dir / "240p" / "index.m3u8",
        "-select_streams", "v", "-show_entries", "packet=pts_time,flags",
    )["packets"]  # fmt: skip
    start = float(packets[0]["pts_time"])
    keyframe_times = [round(float(p["pts_time"]) - start, 2) for p in packets if "K" in p["flags"]]

    assert keyframe_times == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_thumbnail_is_a_jpeg_of_the_source_size(transcoded):
    result, _ = transcoded
    info = ffprobe(result.thumbnail, "-show_streams")["streams"][0]

    assert info["codec_name"] == "mjpeg"
    assert (info["width"], info["height"]) == (320, 240)


def test_progress_was_reported_up_to_100(transcoded):
    _, seen = transcoded

    assert seen
    assert [p.percent for p in seen] == sorted(p.percent for p in seen)
    assert seen[-1].percent == 100.0


def test_existing_output_folder_is_refused_and_left_alone(tmp_path, sample_video):
    out = tmp_path / "hls"
    out.mkdir()
    (out / "keep.txt").write_text("precious")

    with pytest.raises(OutputExistsError) as caught:
        transcode(sample_video, out, ladder=TINY_LADDER)

    assert caught.value.permanent
    assert (out / "keep.txt").read_text() == "precious"


def test_failure_leaves_no_output_and_no_temporary_folder(workspace):
    bad = workspace / "film.mp4"
    bad.write_text("not a film")

    with pytest.raises(NotMediaError):
        transcode(bad, workspace / "hls", ladder=TINY_LADDER)

    assert leftovers(workspace) == ["film.mp4"]


def test_cancelled_run_leaves_nothing_behind(workspace, sample_video):
    cancel = threading.Event()
    out = workspace / "hls"

    with pytest.raises(TranscodeCancelledError) as caught:
        transcode(
            sample_video, out, ladder=TINY_LADDER, cancel=cancel, on_progress=lambda _: cancel.set()
        )

    assert not caught.value.permanent
    assert caught.value.reason == "Transcoding was cancelled."
    assert leftovers(workspace) == []


def test_output_folder_is_readable_by_others(tmp_path, silent_video):
    result = transcode(silent_video, tmp_path / "hls", ladder=TINY_LADDER)

    assert result.output_dir.stat().st_mode & 0o777 == 0o755


def test_storyboard_sprites_and_index(workspace, sample_video):
    result = transcode(sample_video, workspace / "hls", ladder=TINY_LADDER, storyboard_interval=1)

    assert result.storyboard == result.output_dir / "storyboard.vtt"
    header, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert header == "WEBVTT"
    assert len(cues) == 5
    assert cues[0] == "00:00:00.000 --> 00:00:01.000\nstoryboard/sprite000.jpg#xywh=0,0,160,120"
    assert cues[4].endswith("storyboard/sprite000.jpg#xywh=640,0,160,120")
    sprite = ffprobe(result.output_dir / "storyboard" / "sprite000.jpg", "-show_streams")
    assert (sprite["streams"][0]["width"], sprite["streams"][0]["height"]) == (800, 600)


def test_storyboard_by_default_has_a_tile_every_five_seconds(transcoded):
    result, _ = transcoded

    header, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert header == "WEBVTT"
    assert cues == [
        "00:00:00.000 --> 00:00:05.000\nstoryboard/sprite000.jpg#xywh=0,0,160,120",
    ]


def test_no_storyboard_when_switched_off(workspace, silent_video):
    result = transcode(
        silent_video, workspace / "hls", ladder=TINY_LADDER, storyboard_interval=None
    )

    assert result.storyboard is None
    assert not (result.output_dir / "storyboard").exists()
    assert not (result.output_dir / "storyboard.vtt").exists()


def test_very_short_film_gets_a_storyboard_of_one_tile(workspace):
    source = generate_video(workspace / "short.mp4", seconds=0.6)

    result = transcode(source, workspace / "hls", ladder=TINY_LADDER)

    _, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert cues == ["00:00:00.000 --> 00:00:00.600\nstoryboard/sprite000.jpg#xywh=0,0,160,120"]
    assert (result.output_dir / "storyboard" / "sprite000.jpg").is_file()


def test_portrait_storyboard_tiles_keep_the_aspect(workspace):
    source = generate_video(workspace / "portrait.mp4", seconds=2, width=180, height=320)

    result = transcode(source, workspace / "hls", ladder=TINY_LADDER, storyboard_interval=1)

    _, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert cues[1].endswith("storyboard/sprite000.jpg#xywh=160,0,160,284")
    sprite = ffprobe(result.output_dir / "storyboard" / "sprite000.jpg", "-show_streams")
    assert (sprite["streams"][0]["width"], sprite["streams"][0]["height"]) == (800, 5 * 284)


def mean_luma(image) -> float:
    completed = subprocess.run(
        [
            "ffprobe", "-v", "error", "-f", "lavfi", f"movie={image},signalstats",
            "-show_entries", "frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(completed.stdout.split()[0])


def test_thumbnail_skips_a_black_frame_at_the_asked_time(workspace):
    # Frames from 3.0 s to 3.2 s are black; a naive grab at 3 s would be a black still.
    source = generate_video(
        workspace / "flash.mp4",
        seconds=6,
        extra_args=("-vf", "drawbox=c=black:t=fill:enable='between(t,3,3.2)'"),
    )

    result = transcode(source, workspace / "hls", ladder=TINY_LADDER, thumbnail_at=3.0)

    assert mean_luma(result.thumbnail) > 60


def test_timeout_stops_the_run_and_leaves_nothing_behind(workspace, sample_video):
    with pytest.raises(TranscodeTimeoutError) as caught:
        transcode(sample_video, workspace / "hls", ladder=TINY_LADDER, timeout=0.05)

    assert not caught.value.permanent
    assert leftovers(workspace) == []


def test_default_timeout_grows_with_the_duration():
    assert default_timeout(0) == 600
    assert default_timeout(3600) > default_timeout(60) > default_timeout(0)
    # Only a backstop: a 20 s ladder took over 320 s at load 30 on 2 cores, 16x its duration;
    # a hung ffmpeg is stopped by the stall timeout long before.
    assert default_timeout(20) >= 20 * 30
    assert default_timeout(3600) >= 3600 * 30
    assert default_timeout(0) > STALL_TIMEOUT_SECONDS


def test_work_folder_exists_only_while_running(workspace, sample_video):
    seen_during_run = []

    def look(_progress):
        seen_during_run.extend(name for name in leftovers(workspace) if name != "hls")

    transcode(sample_video, workspace / "hls", ladder=TINY_LADDER, on_progress=look)

    assert seen_during_run
    assert seen_during_run[0].startswith(".hls.")
    assert leftovers(workspace) == ["hls"]


def test_tiles_fill_sprite_after_sprite_in_order(workspace, sample_video):
    result = transcode(sample_video, workspace / "hls", ladder=TINY_LADDER, storyboard_interval=0.2)

    _, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert len(cues) == 25  # 5 s / 0.2 s: one full sprite
    assert cues[24].endswith("storyboard/sprite000.jpg#xywh=640,480,160,120")
    assert sorted(p.name for p in (result.output_dir / "storyboard").iterdir()) == [
        "sprite000.jpg"
    ]  # the single tiles are gone once packed


def test_a_longer_film_fills_a_second_sprite(workspace, sample_video):
    result = transcode(
        sample_video, workspace / "hls", ladder=TINY_LADDER, storyboard_interval=0.15
    )

    _, *cues = result.storyboard.read_text().strip().split("\n\n")
    assert len(cues) == 34  # ceil(5 / 0.15)
    assert cues[25].endswith("storyboard/sprite001.jpg#xywh=0,0,160,120")
    assert cues[33].endswith("storyboard/sprite001.jpg#xywh=480,120,160,120")
    sprite = ffprobe(result.output_dir / "storyboard" / "sprite001.jpg", "-show_streams")
    # Each sprite has the full 5 x 5 grid, the last one padded.
    assert (sprite["streams"][0]["width"], sprite["streams"][0]["height"]) == (800, 600)
