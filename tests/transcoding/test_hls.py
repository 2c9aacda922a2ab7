"""Validation of finished output, the peak-bandwidth rule and the segment inspection."""

import dataclasses
import re
import shutil
import subprocess

import pytest

from transcoding import ValidationError
from transcoding.hls import Segment, peak_bitrate, validate
from transcoding.mpegts import first_video_frame


def check(result, renditions, **overrides):
    options = {"source_duration": result.duration, "segment_seconds": 2.0, **overrides}
    validate(result.output_dir, renditions, **options)


def copy_output(result, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(result.output_dir, copy)
    return dataclasses.replace(result, output_dir=copy)


def test_real_output_passes_validation(transcoded):
    result, _ = transcoded

    check(result, result.renditions)


def test_different_segment_counts_fail(transcoded):
    result, _ = transcoded
    low, high = result.renditions
    short = dataclasses.replace(low, segments=low.segments[:-1])

    with pytest.raises(ValidationError, match=r"different segment counts \(144p: 2, 240p: 3\)"):
        check(result, (short, high))


def test_rung_shorter_than_the_source_fails(transcoded):
    result, _ = transcoded

    with pytest.raises(
        ValidationError, match=re.escape("144p rendition lasts 5.00 s but the source lasts 6.00 s")
    ):
        check(result, result.renditions, source_duration=6.0)


def test_segment_longer_than_target_fails(transcoded):
    result, _ = transcoded

    with pytest.raises(
        ValidationError, match=re.escape("segment000.ts of 144p lasts 2.00 s, longer than")
    ):
        check(result, result.renditions, segment_seconds=1.0)


def test_segment_starting_between_keyframes_fails(transcoded, tmp_path):
    result, _ = transcoded
    copy = copy_output(result, tmp_path)
    segment = copy.output_dir / "240p" / "segment001.ts"
    mid_gop = tmp_path / "mid.ts"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-i", str(segment),
            "-ss", "0.5", "-c", "copy", "-copyinkf", str(mid_gop),
        ],
        check=True,
    )  # fmt: skip
    mid_gop.replace(segment)

    with pytest.raises(
        ValidationError, match=re.escape("segment001.ts of 240p does not start on a keyframe")
    ):
        check(copy, copy.renditions)
    assert first_video_frame(copy.output_dir / "144p" / "segment001.ts").keyframe


def test_first_frame_reports_codec_from_the_sequence_parameter_set(transcoded):
    result, _ = transcoded

    frame = first_video_frame(result.output_dir / "240p" / "segment000.ts")

    assert frame.keyframe
    assert frame.profile_idc == 100  # High
    assert frame.avc_codec == result.renditions[-1].codecs.split(",")[0]


def test_file_without_video_has_no_first_frame(tmp_path):
    audio = tmp_path / "audio.ts"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", str(audio)],
        check=True,
    )

    assert first_video_frame(audio) is None


def test_peak_bitrate_is_the_busiest_run_of_half_to_one_and_a_half_targets():
    segments = (
        Segment("a.ts", 6.0, 600_000),
        Segment("b.ts", 6.0, 1_200_000),
        Segment("c.ts", 6.0, 300_000),
        Segment("d.ts", 0.5, 400_000),  # too short alone to count
    )

    assert peak_bitrate(segments, 6) == 1_600_000  # b.ts alone: 1.2 MB * 8 / 6 s
    assert peak_bitrate(segments[2:], 6) == round(8 * 700_000 / 6.5)


def test_peak_bitrate_of_a_clip_shorter_than_half_a_target_is_its_average():
    assert peak_bitrate((Segment("a.ts", 2.0, 100_000),), 6) == 400_000
