"""Per-title encoding: the x264 settings of a ladder chosen for each film from its complexity.

No single setting held the three targets of benchmarks/transcode_ladder.py (a third of the
reference's time, SSIM within 0.002 per rung, at most 1.15x its bytes) on every clip of the
corpus: the settings cheap enough for the time target smeared the hard edges of animation, and
the settings that kept them spent too much time and, on the generated clip, too many bytes.
So the complexity pass (complexity.py) sorts each film into a class, and the class decides.
"""

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from transcoding.complexity import Complexity

if TYPE_CHECKING:
    from transcoding.ladder import Ladder


@dataclass(frozen=True)
class Tuning:
    """x264 settings for the films whose complexity reaches `from_intra_bpp` or `from_intra_ratio`.

    Either measure admits a film: hard structure (high intra bits per pixel) and a picture that
    is re-used from frame to frame (intra bits high against all bits) both repay a finer analysis.
    """

    name: str
    from_intra_bpp: float  # intra bits per pixel of the analysis encode, where the class begins
    crf: float  # for the ladder's own rungs; rungs with their own CRF move by the same step
    x264_params: str
    from_intra_ratio: float = math.inf  # intra over all bits per pixel; inf: this measure alone
    # The CRF of the rungs with a CRF of their own (the small ones), as a distance to `crf`;
    # None: they keep the distance they have in the ladder.
    small_rung_offset: float | None = None

    def reached_by(self, complexity: Complexity) -> bool:
        return (
            complexity.intra_bits_per_pixel >= self.from_intra_bpp
            or complexity.intra_ratio >= self.from_intra_ratio
        )

    def as_dict(self) -> dict:
        chosen = {"class": self.name, "crf": self.crf, "x264_params": self.x264_params}
        if self.small_rung_offset is not None:
            chosen["small_rung_crf"] = round(self.crf + self.small_rung_offset, 2)
        return chosen


@dataclass(frozen=True)
class TitleEncoding:
    """What the complexity pass measured and which tuning it chose, kept with the output."""

    tuning: Tuning
    complexity: Complexity

    def as_dict(self) -> dict:
        return {**self.tuning.as_dict(), "complexity": self.complexity.as_dict()}


def choose_tuning(tunings: tuple[Tuning, ...], complexity: Complexity) -> Tuning:
    """Pure: the last class in `tunings` the film reaches by either measure; the first if none.

    Classes are listed from the plainest film up: with two measures there is no single
    threshold to sort them by, so the order they are given in ranks them.
    """
    if not tunings:
        raise ValueError("There is no tuning to choose from.")
    reached = [t for t in tunings if t.reached_by(complexity)]
    return reached[-1] if reached else tunings[0]


def tuned_ladder(ladder: "Ladder", tuning: Tuning) -> "Ladder":
    """Pure: `ladder` with the tuning's CRF and x264 parameters, and no further tuning.

    Rungs with a CRF of their own (the small ones, a step lower) keep their distance to the
    ladder's CRF, or take the tuning's `small_rung_offset` from its CRF when it has one.
    """

    def small_rung_crf(crf: float) -> float:
        if tuning.small_rung_offset is not None:
            return round(tuning.crf + tuning.small_rung_offset, 2)
        return round(crf + tuning.crf - ladder.crf, 2)

    renditions = tuple(
        replace(r, crf=small_rung_crf(r.crf)) if r.crf is not None else r for r in ladder.renditions
    )
    return replace(
        ladder, crf=tuning.crf, x264_params=tuning.x264_params, renditions=renditions, tunings=()
    )
