"""python -m transcoding: JSON summary, progress bar on a terminal, one-line failures."""

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT
from transcoding import DEFAULT_LADDER, Progress
from transcoding.cli import progress_line

FAST = ["--ladder", "240p", "--segment", "2", "--preset", "superfast"]


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "transcoding", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs,
    )  # fmt: skip


def test_json_summary_describes_the_output(tmp_path, sample_video):
    out = tmp_path / "hls"

    completed = run_cli(sample_video, out, *FAST, "--json")

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["output_dir"] == str(out)
    assert [(r["name"], r["width"], r["height"], r["segments"]) for r in summary["renditions"]] == [
        ("240p", 320, 240, 3)
    ]
    assert summary["source"]["video"]["codec"] == "h264"
    assert (out / "master.m3u8").is_file()
    assert completed.stderr == ""  # no progress bar when stderr is not a terminal


def test_human_summary_without_json(tmp_path, silent_video):
    completed = run_cli(silent_video, tmp_path / "hls", *FAST)

    assert completed.returncode == 0, completed.stderr
    assert "240p  320x240" in completed.stdout
    assert "master.m3u8" in completed.stdout


def test_failure_exits_non_zero_with_one_line_reason(tmp_path):
    text = tmp_path / "film.mp4"
    text.write_text("not a film")

    completed = run_cli(text, tmp_path / "hls", "--json")

    assert completed.returncode == 1
    assert completed.stderr == "error: The source file is not a readable audio or video file.\n"
    assert json.loads(completed.stdout) == {
        "error": "The source file is not a readable audio or video file.",
        "kind": "NotMediaError",
        "permanent": True,
    }
    assert not (tmp_path / "hls").exists()


def test_unknown_rung_is_a_usage_error(tmp_path, sample_video):
    completed = run_cli(sample_video, tmp_path / "hls", "--ladder", "480p,123p")

    assert completed.returncode == 2
    assert completed.stderr.startswith("error: Unknown rendition 123p; choose from ")


def test_segment_that_breaks_the_keyframe_grid_is_a_usage_error(tmp_path, sample_video):
    completed = run_cli(sample_video, tmp_path / "hls", "--segment", "5", "--keyframes", "2")

    assert completed.returncode == 2
    assert "multiple of the keyframe interval" in completed.stderr


def test_progress_bar_is_drawn_on_a_terminal(tmp_path, sample_video):
    controller, terminal = pty.openpty()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "transcoding", sample_video, tmp_path / "hls", *FAST],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=terminal, timeout=120,
        )  # fmt: skip
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)

    assert completed.returncode == 0
    assert b"\r[" in drawn
    assert b"100.0%" in drawn


@pytest.mark.parametrize(
    ("progress", "line"),
    [
        (Progress(0.0, None, None), "[..............................]   0.0%      --  ETA --:--"),
        (Progress(50.0, 2.5, 75.0), "[###############...............]  50.0%   2.50x  ETA 1:15"),
        (
            Progress(100.0, 1.0, 3725.0),
            "[##############################] 100.0%   1.00x  ETA 1:02:05",
        ),
    ],
)
def test_progress_line(progress, line):
    assert progress_line(progress) == line


def test_storyboard_option(tmp_path, sample_video):
    completed = run_cli(sample_video, tmp_path / "hls", *FAST, "--storyboard", "2", "--json")

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["storyboard"] == str(tmp_path / "hls" / "storyboard.vtt")
    assert (tmp_path / "hls" / "storyboard" / "sprite000.jpg").is_file()


def test_json_reports_iframe_playlists_loudness_and_storyboard_by_default(tmp_path, sample_video):
    out = tmp_path / "hls"

    completed = run_cli(sample_video, out, *FAST, "--storyboard-interval", "1", "--json")

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["iframe_playlists"][0]["uri"] == "240p/iframes.m3u8"
    assert (out / "240p" / "iframes.m3u8").is_file()
    assert summary["loudness"]["target_lufs"] == -16.0
    assert summary["loudness"]["gain_db"] != 0
    assert summary["storyboard"] == str(out / "storyboard.vtt")
    assert (out / "storyboard.vtt").read_text().count("#xywh=") == 5


def test_switches_turn_loudness_and_storyboard_off(tmp_path, sample_video):
    out = tmp_path / "hls"

    completed = run_cli(sample_video, out, *FAST, "--no-loudnorm", "--no-storyboard", "--json")

    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["loudness"] is None
    assert summary["storyboard"] is None
    assert not (out / "storyboard.vtt").exists()


def test_loudness_target_option(tmp_path, sample_video):
    completed = run_cli(sample_video, tmp_path / "hls", *FAST, "--loudness-target", "-23", "--json")

    assert completed.returncode == 0, completed.stderr
    loudness = json.loads(completed.stdout)["loudness"]
    assert loudness["target_lufs"] == -23.0
    assert loudness["gain_db"] == pytest.approx(-23.0 - loudness["integrated_lufs"], abs=0.01)


def test_a_storyboard_interval_must_be_positive(tmp_path, sample_video):
    completed = run_cli(sample_video, tmp_path / "hls", "--storyboard-interval", "0")

    assert completed.returncode == 2
    assert "must be a positive number of seconds" in completed.stderr
    assert not (tmp_path / "hls").exists()


def b_frames(segment: Path) -> int:
    completed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=has_b_frames", "-of", "csv=p=0", str(segment)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    # MPEG-TS lists the stream once per program as well.
    return int(completed.stdout.split()[0])


def test_x264_params_reach_the_encoder(tmp_path, sample_video):
    plain = run_cli(sample_video, tmp_path / "plain", *FAST)
    without_b = run_cli(sample_video, tmp_path / "no-b", *FAST, "--x264-params", "bframes=0")

    assert plain.returncode == 0, plain.stderr
    assert without_b.returncode == 0, without_b.stderr
    assert b_frames(tmp_path / "plain" / "240p" / "segment000.ts") > 0
    assert b_frames(tmp_path / "no-b" / "240p" / "segment000.ts") == 0


def test_json_reports_the_per_title_choice_and_fixed_switches_it_off(tmp_path, sample_video):
    per_title = run_cli(sample_video, tmp_path / "per-title", "--ladder", "240p", "--json")
    fixed = run_cli(sample_video, tmp_path / "fixed", "--ladder", "240p", "--fixed", "--json")
    own_crf = run_cli(sample_video, tmp_path / "own", "--ladder", "240p", "--crf", "30", "--json")

    assert per_title.returncode == fixed.returncode == own_crf.returncode == 0, per_title.stderr
    encoding = json.loads(per_title.stdout)["encoding"]
    assert encoding["class"] in {t.name for t in DEFAULT_LADDER.tunings}
    assert encoding["complexity"]["frames"] > 0
    assert encoding["complexity"]["intra_bits_per_pixel"] > 0
    assert encoding["complexity"]["intra_ratio"] > 1
    assert json.loads(fixed.stdout)["encoding"] is None
    assert json.loads(own_crf.stdout)["encoding"] is None


def test_human_summary_names_the_per_title_class(tmp_path, silent_video):
    completed = run_cli(silent_video, tmp_path / "hls", "--ladder", "240p")

    assert completed.returncode == 0, completed.stderr
    assert re.search(
        r"per-title class \w+ \(intra [0-9.]+ bits per pixel, [0-9.]+x all frames.\): crf ",
        completed.stdout,
    )
