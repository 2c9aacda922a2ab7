"""The complexity pass: a few windows encoded small and fast, measured in bits per pixel.

The pure parts are pinned on ffmpeg's own words; the measurement runs real ffmpeg on
generated sources of known character.
"""

import itertools
import re
import subprocess

import pytest

from tests.transcoding.conftest import TINY_LADDER
from transcoding import DEFAULT_LADDER, probe, transcode
from transcoding.complexity import (
    ANALYSIS_BOX,
    MAX_WINDOWS,
    WINDOW_SECONDS,
    analysis_argv,
    analysis_size,
    complexity_of,
    measure_complexity,
    parse_statistics,
    sample_starts,
)
from transcoding.tuning import choose_tuning

X264_SUMMARY = """[libx264 @ 0x5] frame I:1     Avg QP:20.00  size: 66325
[libx264 @ 0x5] frame P:49    Avg QP:23.39  size: 13492
[libx264 @ 0x5] mb I  I16..4: 100.0%  0.0%  0.0%
[libx264 @ 0x5] kb/s:2738.76"""


def test_a_short_clip_gets_one_window_in_its_middle():
    assert sample_starts(8.0) == (3.5,)
    assert sample_starts(0.4) == (0.0,)


def test_windows_spread_over_a_film_and_stop_at_the_maximum():
    starts = sample_starts(60.0)
    assert starts == (7.0, 22.0, 37.0, 52.0)
    feature = sample_starts(2 * 3600.0)
    assert len(feature) == MAX_WINDOWS
    assert feature[0] < 3600 * 0.1
    assert feature[-1] > 3600 * 1.8
    assert all(b - a > WINDOW_SECONDS for a, b in itertools.pairwise(feature))


@pytest.mark.parametrize(
    ("size", "fitted"),
    [((1920, 1080), (640, 360)), ((1080, 1920), (360, 640)), ((320, 240), (320, 240))],
)
def test_analysis_picture_fits_the_box_without_upscaling(size, fitted):
    assert analysis_size(*size) == fitted
    assert max(fitted) <= ANALYSIS_BOX


def test_argv_seeks_to_a_keyframe_and_encodes_one_scaled_window_into_nothing(tmp_path):
    argv = analysis_argv(tmp_path / "film.mov", 2, 14.5, (640, 360))

    assert argv[argv.index("-ss") - 1] == "-noaccurate_seek"
    assert argv[argv.index("-ss") + 1] == "14.5"
    assert argv[argv.index("-t") + 1] == "1"
    assert argv[argv.index("-map") + 1] == "0:2"
    assert argv[argv.index("-vf") + 1].startswith("scale=640:360:")
    assert argv[-3:] == ["-f", "null", "-"]
    # The ladder encode is the only ffmpeg of a transcode with a filter graph (tests/faults).
    assert "-filter_complex" not in argv


def test_statistics_are_read_from_x264s_summary():
    assert parse_statistics(X264_SUMMARY) == {"I": (1, 66325), "P": (49, 13492)}


def test_a_window_without_frames_adds_nothing_and_none_at_all_measures_nothing():
    assert parse_statistics("Output file is empty, nothing was encoded") == {}
    one = complexity_of([{}, {"I": (1, 800), "P": (1, 200)}], (10, 10))
    assert one.frames == 2
    assert one.bits_per_pixel == pytest.approx(1000 * 8 / 200)
    assert complexity_of([{}, {}], (10, 10)) is None


def test_bits_per_pixel_over_all_windows():
    windows = [{"I": (1, 1000), "P": (3, 100)}, {"I": (1, 3000), "B": (4, 50)}]

    measured = complexity_of(windows, (10, 10))

    # 1000 + 300 + 3000 + 200 bytes over 9 frames of 100 pixels; intra 4000 bytes over 2.
    assert measured.frames == 9
    assert measured.bits_per_pixel == pytest.approx(4500 * 8 / 900)
    assert measured.intra_bits_per_pixel == pytest.approx(4000 * 8 / 200)


def make_source(path, picture: str) -> str:
    """3 s at 1280x720 of the lavfi `picture`, kept nearly as is (CRF 18)."""
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=0x406080:size=1280x720:rate=25:duration=3,{picture}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
            "-pix_fmt", "yuv420p", str(path),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def flat_and_grainy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("complexity")
    # Flat: a plain colour with soft, blurred mottling. Grainy: strong temporal grain that
    # survives the analysis downscale, as film grain on a true 720p scan does.
    flat = make_source(folder / "flat.mp4", "noise=alls=12:allf=t,gblur=sigma=4")
    grainy = make_source(folder / "grainy.mp4", "noise=alls=25:allf=t")
    return flat, grainy


def measured(path):
    video = probe(path).video
    return measure_complexity(
        path, video.index, width=video.display_width, height=video.display_height, duration=3.0
    )


def test_a_flat_and_a_grainy_source_measure_apart_and_get_different_classes(flat_and_grainy):
    flat, grainy = (measured(path) for path in flat_and_grainy)

    assert flat.frames == grainy.frames == 25
    assert grainy.intra_bits_per_pixel > 10 * flat.intra_bits_per_pixel
    assert grainy.bits_per_pixel > 10 * flat.bits_per_pixel
    lowest, highest = DEFAULT_LADDER.tunings[0], DEFAULT_LADDER.tunings[-1]
    assert choose_tuning(DEFAULT_LADDER.tunings, flat) == lowest
    assert choose_tuning(DEFAULT_LADDER.tunings, grainy) == highest


# How x264's SEI writes the options the tunings set.
SEI_NAMES = {
    "me": " me={} ",
    "subme": " subme={} ",
    "trellis": " trellis={} ",
    "aq-mode": " aq={}:",
}


def x264_options(segment) -> str:
    """The settings x264 writes into the stream it encodes (its SEI user data), read from the
    bare H.264 stream: in the MPEG-TS file it is cut into packets."""
    stream = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(segment), "-map", "0:v", "-c", "copy", "-f", "h264",
         "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return re.search(rb"options: ([ -~]*)", stream).group(1).decode()


def test_transcode_encodes_with_the_chosen_class_and_reports_it(tmp_path, flat_and_grainy):
    flat, grainy = flat_and_grainy
    per_title = DEFAULT_LADDER.select(["240p"])  # the default's classes on one small rung
    results = {
        name: transcode(source, tmp_path / name, ladder=per_title, storyboard_interval=None)
        for name, source in (("flat", flat), ("grainy", grainy))
    }

    for result in results.values():
        chosen = result.encoding.tuning
        assert chosen == choose_tuning(DEFAULT_LADDER.tunings, result.encoding.complexity)
        options = f" {x264_options(result.output_dir / '240p' / 'segment000.ts')} "
        for key, value in (option.split("=") for option in chosen.x264_params.split(":")):
            if key in SEI_NAMES:  # the SEI spells the rest differently (partitions: a bit mask)
                assert SEI_NAMES[key].format(value) in options, (key, options)
        summary = result.as_dict()["encoding"]
        assert summary["class"] == chosen.name
        measures = summary["complexity"]
        assert measures["frames"] == 25
        # Both measures the choice rests on, as measured: intra bits per pixel and their ratio
        # to all bits per pixel (from the unrounded figures, so within their rounding).
        assert measures["intra_bits_per_pixel"] > measures["bits_per_pixel"] > 0
        assert measures["intra_ratio"] == pytest.approx(
            measures["intra_bits_per_pixel"] / measures["bits_per_pixel"], rel=1e-2
        )
    assert results["flat"].encoding.tuning != results["grainy"].encoding.tuning


def test_a_ladder_without_classes_runs_no_complexity_pass(transcoded):
    result, _ = transcoded
    assert TINY_LADDER.tunings == ()
    assert result.encoding is None
    assert result.as_dict()["encoding"] is None
