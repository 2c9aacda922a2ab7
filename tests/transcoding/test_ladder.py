"""Ladder configuration and planning: no upscaling, aspect kept, even sizes, frame rate."""

import dataclasses

import pytest

from transcoding import DEFAULT_LADDER, Ladder, Rendition
from transcoding.ladder import output_frame_rate, plan_renditions
from transcoding.probe import VideoStream


def sizes(planned):
    return [(p.name, p.width, p.height) for p in planned]


def video(**overrides):
    fields = {
        "index": 0, "codec": "h264", "width": 1920, "height": 1080, "display_width": 1920,
        "display_height": 1080, "rotation": 0, "frame_rate": 25.0, "average_frame_rate": 25.0,
        "variable_frame_rate": False, "pixel_format": "yuv420p", "bit_depth": 8,
        "interlaced": False,
    }  # fmt: skip
    return VideoStream(**{**fields, **overrides})


def test_default_ladder_is_480_720_1080_with_6s_segments_and_2s_keyframes():
    assert [r.name for r in DEFAULT_LADDER.renditions] == ["480p", "720p", "1080p"]
    assert DEFAULT_LADDER.segment_seconds == 6
    assert DEFAULT_LADDER.keyframe_seconds == 2


def test_ladder_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LADDER.crf = 30


def test_full_hd_source_gets_every_rung():
    assert sizes(plan_renditions(1920, 1080, DEFAULT_LADDER)) == [
        ("480p", 854, 480),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]


def test_rungs_above_the_source_are_dropped():
    assert sizes(plan_renditions(1280, 720, DEFAULT_LADDER)) == [
        ("480p", 854, 480),
        ("720p", 1280, 720),
    ]


def test_wide_film_fits_the_box_by_width():
    assert sizes(plan_renditions(1920, 800, DEFAULT_LADDER)) == [
        ("480p", 854, 356),
        ("720p", 1280, 534),
        ("1080p", 1920, 800),
    ]


def test_source_below_the_lowest_rung_keeps_its_own_size_with_lowest_settings():
    (only,) = plan_renditions(320, 240, DEFAULT_LADDER)

    assert (only.name, only.width, only.height) == ("240p", 320, 240)
    assert only.settings.name == "480p"


def test_odd_dimensions_become_even():
    for planned in (
        *plan_renditions(321, 241, DEFAULT_LADDER),
        *plan_renditions(1001, 563, DEFAULT_LADDER),
    ):
        assert planned.width % 2 == 0
        assert planned.height % 2 == 0


def test_portrait_rungs_are_named_for_their_short_side():
    assert sizes(plan_renditions(1080, 1920, DEFAULT_LADDER)) == [
        ("480p", 480, 854),
        ("720p", 720, 1280),
        ("1080p", 1080, 1920),
    ]


def test_segment_length_must_be_a_multiple_of_the_keyframe_interval():
    with pytest.raises(ValueError, match="multiple of the keyframe interval"):
        Ladder(renditions=DEFAULT_LADDER.renditions, segment_seconds=5, keyframe_seconds=2)


def test_ladder_needs_unique_rungs():
    rung = DEFAULT_LADDER.renditions[0]
    with pytest.raises(ValueError, match="unique"):
        Ladder(renditions=(rung, rung))
    with pytest.raises(ValueError, match="at least one"):
        Ladder(renditions=())


def test_select_picks_standard_rungs_in_height_order():
    ladder = DEFAULT_LADDER.select(["1080p", "360p"])

    assert [r.name for r in ladder.renditions] == ["360p", "1080p"]
    assert ladder.preset == DEFAULT_LADDER.preset


def test_select_rejects_unknown_names():
    with pytest.raises(ValueError, match="Unknown rendition 999p"):
        DEFAULT_LADDER.select(["999p"])


def test_rendition_box_is_16_by_9():
    assert Rendition("x", 720, max_bitrate=1, buffer_size=1).box == (1280, 720)


def test_constant_rate_source_keeps_its_rate():
    assert output_frame_rate(video(frame_rate=30000 / 1001, average_frame_rate=30000 / 1001)) == (
        pytest.approx(30000 / 1001),
        False,
    )
    rate, _ = output_frame_rate(video(frame_rate=30000 / 1001))
    assert (rate.numerator, rate.denominator) == (30000, 1001)


def test_variable_rate_source_is_resampled_to_its_average():
    rate, resample = output_frame_rate(
        video(frame_rate=50.0, average_frame_rate=20.0, variable_frame_rate=True)
    )

    assert (rate, resample) == (20, True)


def test_rates_above_60_are_halved():
    assert output_frame_rate(video(frame_rate=120.0, average_frame_rate=120.0)) == (60, True)
    assert output_frame_rate(video(frame_rate=100.0, average_frame_rate=100.0)) == (50, True)
    assert output_frame_rate(video(frame_rate=240.0, average_frame_rate=240.0)) == (60, True)
    assert output_frame_rate(video(frame_rate=60.0, average_frame_rate=60.0)) == (60, False)
