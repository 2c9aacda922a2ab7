"""Loudness normalisation: measured by ebur128, one gain in the encode, capped at -1 dBTP.

Every level is measured by ffmpeg on the files the transcode wrote.
"""

import re
import subprocess

import pytest

from tests.media import FAST_H264
from tests.transcoding.conftest import TINY_LADDER
from transcoding import transcode
from transcoding.loudness import (
    PEAK_CEILING_DBTP,
    analysis_argv,
    normalising_gain,
    parse_summary,
)

SUMMARY = """[Parsed_ebur128_0 @ 0x5] Summary:

  Integrated loudness:
    I:         -31.8 LUFS
    Threshold: -41.8 LUFS

  True peak:
    Peak:      -28.1 dBFS"""


def source_with_audio(path, audio_expression: str, seconds: float = 4) -> str:
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"aevalsrc='{audio_expression}':s=48000:d={seconds}",
            *FAST_H264, "-c:a", "aac", "-b:a", "192k", "-shortest", str(path),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return path


def measured(path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of the audio of `path`, by ffmpeg."""
    completed = subprocess.run(analysis_argv(path, 1), capture_output=True, text=True, check=True)
    return parse_summary(completed.stderr)


def output_loudness(result) -> tuple[float, float]:
    return measured(result.output_dir / result.renditions[-1].name / "index.m3u8")


def sine(amplitude: float) -> str:
    return f"{amplitude}*sin(2*PI*440*t)"


def test_gain_reaches_the_target_unless_the_true_peak_would_pass_the_ceiling():
    assert normalising_gain(-31.0, -20.0, -16.0) == 15.0
    assert normalising_gain(-12.0, -2.0, -16.0) == -4.0
    assert normalising_gain(-30.0, -6.0, -16.0) == PEAK_CEILING_DBTP + 6.0
    assert normalising_gain(None, None, -16.0) == 0.0  # silence: no gain to infinity


def test_summary_is_read_from_the_last_report():
    assert parse_summary("t: 1.0 I: -99.0 LUFS\n" + SUMMARY) == (-31.8, -28.1)
    silent = SUMMARY.replace("-31.8 LUFS", "-70.0 LUFS").replace("-28.1 dBFS", "-inf dBFS")
    assert parse_summary(silent) == (None, None)


def test_surround_is_measured_as_the_stereo_the_encode_makes_of_it():
    argv = analysis_argv("/in/film.mkv", 2, downmix=True)

    assert argv[argv.index("-map") + 1] == "0:2"
    assert argv[argv.index("-af") + 1].startswith("aformat=channel_layouts=stereo,ebur128=")
    assert "aformat" not in " ".join(analysis_argv("/in/film.mkv", 2))


@pytest.mark.slow
def test_two_sources_15_lu_apart_both_come_out_at_the_target(tmp_path):
    quiet = source_with_audio(tmp_path / "quiet.mp4", sine(0.02))
    loud = source_with_audio(tmp_path / "loud.mp4", sine(0.02 * 10 ** (15 / 20)))
    quiet_in, loud_in = measured(quiet)[0], measured(loud)[0]
    assert loud_in - quiet_in == pytest.approx(15, abs=0.5)

    for source in (quiet, loud):
        result = transcode(source, tmp_path / source.stem, ladder=TINY_LADDER)

        integrated, peak = output_loudness(result)
        assert integrated == pytest.approx(-16.0, abs=1.0)
        assert peak <= PEAK_CEILING_DBTP
        assert result.loudness.target_lufs == -16.0
        assert result.loudness.integrated_lufs == pytest.approx(measured(source)[0], abs=0.05)
        assert not result.loudness.peak_limited


@pytest.mark.slow
def test_peaky_quiet_source_is_raised_only_up_to_the_true_peak_ceiling(tmp_path):
    # Quiet speech-like level with a near full-scale click every second.
    clicks = f"{sine(0.01)}+0.5*lt(mod(t,1),0.002)*sin(2*PI*1000*t)"
    source = source_with_audio(tmp_path / "clicks.mp4", clicks)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    loudness = result.loudness
    assert loudness.peak_limited
    assert loudness.gain_db == pytest.approx(PEAK_CEILING_DBTP - loudness.true_peak_dbtp, abs=0.01)
    integrated, peak = output_loudness(result)
    assert integrated < -16.0 - 1.0  # the cap, not the target, decided the gain
    assert integrated == pytest.approx(loudness.integrated_lufs + loudness.gain_db, abs=1.0)
    assert peak <= PEAK_CEILING_DBTP + 0.5  # AAC may overshoot a little


@pytest.mark.slow
def test_silent_audio_gets_no_gain(tmp_path):
    source = source_with_audio(tmp_path / "silence.mp4", "0", seconds=2)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER)

    assert result.loudness.integrated_lufs is None
    assert result.loudness.gain_db == 0.0
    assert result.loudness.audio_filter() is None
    assert output_loudness(result) == (None, None)


def test_no_audio_no_loudness_step(tmp_path, silent_video):
    result = transcode(silent_video, tmp_path / "hls", ladder=TINY_LADDER)

    assert result.loudness is None
    assert result.as_dict()["loudness"] is None


@pytest.mark.slow
def test_switched_off_leaves_the_level_as_it_is(tmp_path):
    source = source_with_audio(tmp_path / "quiet.mp4", sine(0.02), seconds=2)

    result = transcode(source, tmp_path / "hls", ladder=TINY_LADDER, loudness_target=None)

    assert result.loudness is None
    assert output_loudness(result)[0] == pytest.approx(measured(source)[0], abs=1.0)


def test_the_encode_applies_one_gain_to_every_rung(transcoded):
    result, _ = transcoded
    gain = result.loudness.gain_db
    assert re.fullmatch(r"volume=-?[0-9]+\.[0-9]{2}dB", result.loudness.audio_filter())
    for rendition in result.renditions:
        integrated, _ = measured(result.output_dir / rendition.name / "index.m3u8")
        assert integrated == pytest.approx(result.loudness.integrated_lufs + gain, abs=1.0)
