"""Loudness normalisation: measure the default audio track (EBU R128), then one linear gain.

Films arrive anywhere between -30 and -10 LUFS. An audio-only pass before the encode reads
integrated loudness and true peak (ffmpeg's `ebur128`; it decodes no video, so it costs a few
percent of the ladder, see benchmarks/README.md), and the ladder's encode applies a single
`volume=` gain that brings the film to the target. The gain is capped so the true peak stays
at or below PEAK_CEILING_DBTP: a quiet film with loud peaks ends up under the target rather
than compressed or limited, which would change its dynamics.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

from transcoding.errors import ValidationError
from transcoding.runner import run_ffmpeg

DEFAULT_TARGET_LUFS = -16.0  # what on-demand streaming services play at
PEAK_CEILING_DBTP = -1.0
# ebur128's absolute gate: with nothing above it (silence) there is no loudness to correct.
SILENCE_LUFS = -70.0

_INTEGRATED = re.compile(r"^\s*I:\s*(-?[0-9.]+|-inf)\s*LUFS", re.MULTILINE)
_TRUE_PEAK = re.compile(r"^\s*Peak:\s*(-?[0-9.]+|-?inf)\s*dBFS", re.MULTILINE)


@dataclass(frozen=True)
class Loudness:
    """What was measured on the source and the gain the encode applied."""

    integrated_lufs: float | None  # None: silent, nothing above the gate
    true_peak_dbtp: float | None  # None: digital silence
    target_lufs: float
    gain_db: float

    @property
    def peak_limited(self) -> bool:
        """The gain stopped short of the target to keep the true peak under the ceiling."""
        return (
            self.integrated_lufs is not None
            and self.gain_db < self.target_lufs - self.integrated_lufs - 0.05
        )

    def as_dict(self) -> dict:
        return {
            "integrated_lufs": self.integrated_lufs,
            "true_peak_dbtp": self.true_peak_dbtp,
            "target_lufs": self.target_lufs,
            "gain_db": self.gain_db,
            "peak_limited": self.peak_limited,
        }

    def audio_filter(self) -> str | None:
        """The `-filter:a` of the encode, or None when the audio stays as it is."""
        return f"volume={self.gain_db:.2f}dB" if self.gain_db else None


def normalising_gain(integrated_lufs: float | None, true_peak_dbtp: float | None, target: float):
    """The gain (dB) to `target`, capped by the true-peak ceiling; 0 for silence."""
    if integrated_lufs is None:
        return 0.0
    gain = target - integrated_lufs
    if true_peak_dbtp is not None:
        gain = min(gain, PEAK_CEILING_DBTP - true_peak_dbtp)
    return round(gain, 2)


def analysis_argv(source: Path, audio_index: int, *, downmix: bool = False) -> list[str]:
    """Pure: decode only the audio track through ebur128 (true peak at 4x oversampling).

    With `downmix` the stereo the encode makes of surround (the same default swresample
    matrix as its `-ac 2`) is measured, since that is what viewers hear. framelog=verbose
    keeps ebur128's per-100 ms lines out of the info log, which carries the summary; with
    framelog=quiet ffmpeg 5.1 skips the integrated measurement.
    """
    measure = "ebur128=peak=true:framelog=verbose"
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
        "-progress", "pipe:1",
        "-i", str(source),
        "-map", f"0:{audio_index}",
        "-af", f"aformat=channel_layouts=stereo,{measure}" if downmix else measure,
        "-f", "null", "-",
    ]  # fmt: skip


def parse_summary(stderr_tail: str) -> tuple[float | None, float | None]:
    """(integrated LUFS or None when silent, true peak dBTP or None when digital silence)."""
    summary = stderr_tail.rpartition("Summary:")[2]
    integrated, peak = _INTEGRATED.search(summary), _TRUE_PEAK.search(summary)
    if integrated is None or peak is None:
        raise ValidationError("ffmpeg did not report the loudness of the audio track.")
    lufs, dbtp = float(integrated.group(1)), float(peak.group(1))
    return (
        lufs if math.isfinite(lufs) and lufs > SILENCE_LUFS else None,
        dbtp if math.isfinite(dbtp) else None,
    )


def measure_loudness(
    source: Path,
    audio_index: int,
    *,
    target_lufs: float,
    duration: float,
    downmix: bool = False,
    **run_options,
) -> Loudness:
    """Run the analysis pass; `run_options` (cancel, timeouts) go to run_ffmpeg."""
    stderr_tail = run_ffmpeg(
        analysis_argv(source, audio_index, downmix=downmix), duration=duration, **run_options
    )
    integrated, peak = parse_summary(stderr_tail)
    return Loudness(
        integrated_lufs=integrated,
        true_peak_dbtp=peak,
        target_lufs=target_lufs,
        gain_db=normalising_gain(integrated, peak, target_lufs),
    )
