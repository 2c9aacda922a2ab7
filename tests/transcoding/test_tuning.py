"""Per-title encoding: the class a film's complexity reaches picks the ladder's x264 settings."""

import pytest

from transcoding import DEFAULT_LADDER
from transcoding.complexity import Complexity
from transcoding.ladder import TITLE_TUNINGS
from transcoding.tuning import TitleEncoding, Tuning, choose_tuning, tuned_ladder

PLAIN = Tuning("plain", 0.0, 23.0, "subme=1")
BUSY = Tuning("busy", 1.0, 21.0, "subme=2")


def complexity(intra: float) -> Complexity:
    return Complexity(bits_per_pixel=intra / 3, intra_bits_per_pixel=intra, frames=25)


@pytest.mark.parametrize(
    ("intra", "chosen"), [(0.0, PLAIN), (0.99, PLAIN), (1.0, BUSY), (4.2, BUSY)]
)
def test_the_last_class_reached_wins(intra, chosen):
    assert choose_tuning((PLAIN, BUSY), complexity(intra)) == chosen


def test_the_order_given_ranks_the_classes():
    # Both reached: the one listed later wins, whatever its threshold.
    assert choose_tuning((BUSY, PLAIN), complexity(4.2)) == PLAIN


def test_below_every_threshold_the_first_class_applies():
    assert choose_tuning((BUSY,), complexity(0.1)) == BUSY


REUSED = Tuning("reused", 1.0, 21.0, "subme=2", from_intra_ratio=3.0)


def measured(bits: float, intra: float) -> Complexity:
    return Complexity(bits_per_pixel=bits, intra_bits_per_pixel=intra, frames=25)


@pytest.mark.parametrize(
    ("bits", "intra", "chosen"),
    [
        (0.5, 0.5, PLAIN),  # every frame as costly as an intra frame, and little structure
        (0.25, 0.74, PLAIN),  # ratio just below
        (0.25, 0.75, REUSED),  # ratio exactly at the threshold: reached
        (0.9, 1.0, REUSED),  # intra bits exactly at their threshold, ratio far below
        (0.1, 4.0, REUSED),  # both
        (0.0, 0.0, PLAIN),  # nothing spent: no ratio to reach
        (0.3, 0.0, PLAIN),  # no intra frame in the windows
    ],
)
def test_either_measure_admits_a_film_to_a_class(bits, intra, chosen):
    assert choose_tuning((PLAIN, REUSED), measured(bits, intra)) == chosen


def test_the_intra_ratio_is_zero_without_bits_and_is_recorded():
    assert measured(0.0, 0.0).intra_ratio == 0.0
    assert measured(0.5, 2.0).intra_ratio == 4.0
    assert measured(0.3, 1.0).as_dict() == {
        "bits_per_pixel": 0.3,
        "intra_bits_per_pixel": 1.0,
        "intra_ratio": 3.333,
        "frames": 25,
    }


# What the complexity pass measured on the benchmark corpus's 20 s mezzanines (bits, intra bits
# per pixel; benchmarks/README.md) and the class each clip meets every target with.
CORPUS = {
    "mandelbrot": ((0.4504, 1.1624), "soft"),
    "animation": ((0.4842, 2.3133), "detailed"),
    "live action": ((0.2676, 1.2610), "steady"),
    "grain": ((0.2776, 1.3337), "steady"),
}


@pytest.mark.parametrize("clip", CORPUS)
def test_the_default_classes_put_each_corpus_clip_where_it_meets_the_targets(clip):
    (bits, intra), expected = CORPUS[clip]
    assert choose_tuning(TITLE_TUNINGS, measured(bits, intra)).name == expected


def test_there_must_be_something_to_choose_from():
    with pytest.raises(ValueError, match="no tuning"):
        choose_tuning((), complexity(1.0))


def test_tuned_ladder_takes_crf_and_params_and_keeps_the_small_rungs_step():
    ladder = tuned_ladder(DEFAULT_LADDER, BUSY)

    assert (ladder.crf, ladder.x264_params, ladder.tunings) == (21.0, "subme=2", ())
    assert ladder.preset == DEFAULT_LADDER.preset
    for before, after in zip(DEFAULT_LADDER.renditions, ladder.renditions, strict=True):
        if before.crf is None:
            assert after.crf is None
        else:
            assert after.crf == pytest.approx(before.crf - DEFAULT_LADDER.crf + 21.0)


def test_a_small_rung_offset_sets_every_small_rung_apart_from_the_tunings_crf():
    closer = Tuning("closer", 1.0, 22.0, "subme=2", small_rung_offset=-0.5)

    ladder = tuned_ladder(DEFAULT_LADDER, closer)

    small = [r for r in DEFAULT_LADDER.renditions if r.crf is not None]
    assert small, "the default ladder has rungs with a CRF of their own"
    for before, after in zip(DEFAULT_LADDER.renditions, ladder.renditions, strict=True):
        assert after.crf == (21.5 if before.crf is not None else None)
    assert ladder.crf == 22.0
    assert closer.as_dict()["small_rung_crf"] == 21.5
    assert "small_rung_crf" not in BUSY.as_dict()


def test_the_detailed_class_brings_its_small_rungs_closer_than_the_ladder_does():
    # Measured on the animation (benchmarks/README.md): 480p a whole CRF step below the others
    # had SSIM to spare while 720p and 1080p sat on the line.
    detailed = next(t for t in TITLE_TUNINGS if t.name == "detailed")
    ladder = tuned_ladder(DEFAULT_LADDER, detailed)
    crfs = {r.name: r.crf if r.crf is not None else ladder.crf for r in ladder.renditions}
    assert crfs == {"480p": 21.5, "720p": 22.0, "1080p": 22.0}


def test_the_default_ladder_chooses_per_title_from_classes_that_differ():
    assert DEFAULT_LADDER.tunings == TITLE_TUNINGS
    assert len({t.name for t in TITLE_TUNINGS}) == len(TITLE_TUNINGS) > 1
    assert len({(t.crf, t.x264_params) for t in TITLE_TUNINGS}) == len(TITLE_TUNINGS)
    assert min(t.from_intra_bpp for t in TITLE_TUNINGS) == 0.0  # every film has a class


def test_choice_is_recorded_with_what_was_measured():
    chosen = {
        "class": "busy",
        "crf": 21.0,
        "x264_params": "subme=2",
        "complexity": {
            "bits_per_pixel": 0.5,
            "intra_bits_per_pixel": 1.5,
            "intra_ratio": 3.0,
            "frames": 25,
        },
    }

    assert TitleEncoding(BUSY, complexity(1.5)).as_dict() == chosen
