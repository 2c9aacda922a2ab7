"""Ladder configuration and planning it against a source: which rungs, at which sizes and rate."""

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from transcoding.probe import AudioStream, SourceInfo, VideoStream
from transcoding.tuning import Tuning

MAX_FRAME_RATE = 60
FALLBACK_FRAME_RATE = Fraction(25)
# Rungs are named for the height of a 16:9 box; a source is fitted into that box.
BOX_ASPECT = Fraction(16, 9)


@dataclass(frozen=True)
class Rendition:
    """One rung: fitted into a `height`p 16:9 box, capped in bitrate, optionally tuned apart."""

    name: str
    height: int
    max_bitrate: int  # kbit/s, the VBV cap on top of constant quality
    buffer_size: int  # kbit
    audio_bitrate: int = 128  # kbit/s
    profile: str = "high"
    level: str = "4.0"
    preset: str | None = None  # None: the ladder's preset
    crf: float | None = None  # None: the ladder's crf
    x264_params: str = ""  # appended to the ladder's x264_params

    @property
    def box(self) -> tuple[int, int]:
        return _even(self.height * BOX_ASPECT), self.height


@dataclass(frozen=True)
class Ladder:
    renditions: tuple[Rendition, ...]
    segment_seconds: float = 6.0
    keyframe_seconds: float = 2.0
    preset: str = "veryfast"
    crf: float = 22.2
    x264_params: str = ""
    # swscale algorithm for the downscales; bicubic is what `scale=-2:H` uses.
    scaler: str = "bicubic"
    # Per-title classes (tuning.py); empty: every film gets `crf` and `x264_params` as they are.
    tunings: tuple[Tuning, ...] = ()

    def __post_init__(self) -> None:
        if not self.renditions:
            raise ValueError("A ladder needs at least one rendition.")
        if len({r.name for r in self.renditions}) != len(self.renditions):
            raise ValueError("Rendition names must be unique.")
        if self.keyframe_seconds <= 0 or self.segment_seconds <= 0:
            raise ValueError("Segment and keyframe intervals must be positive.")
        ratio = self.segment_seconds / self.keyframe_seconds
        if abs(ratio - round(ratio)) > 1e-6:
            # Otherwise segments would end between keyframes and run long.
            raise ValueError("The segment length must be a multiple of the keyframe interval.")

    def select(self, names: list[str]) -> "Ladder":
        """A ladder with only the named rungs (known to this ladder or the standard ones)."""
        known = {r.name: r for r in (*STANDARD_RENDITIONS, *self.renditions)}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(
                f"Unknown rendition {', '.join(unknown)}; choose from {', '.join(known)}."
            )
        chosen = sorted({known[n] for n in names}, key=lambda r: r.height)
        return replace(self, renditions=tuple(chosen))


@dataclass(frozen=True)
class PlannedRendition:
    """A rung as it will be encoded for one particular source."""

    name: str
    width: int
    height: int
    settings: Rendition


@dataclass(frozen=True)
class Plan:
    renditions: tuple[PlannedRendition, ...]
    frame_rate: Fraction
    resample_frame_rate: bool
    deinterlace: bool
    audio: AudioStream | None


# Lower rungs get a lower CRF: at the same CRF a small picture loses more of its structure.
STANDARD_RENDITIONS = (
    Rendition("240p", 240, 700, 1400, audio_bitrate=96, level="3.0", crf=21.2),
    Rendition("360p", 360, 1200, 2400, audio_bitrate=96, level="3.0", crf=21.2),
    Rendition("480p", 480, 2000, 4000, audio_bitrate=128, level="3.1", crf=21.2),
    Rendition("720p", 720, 4000, 8000, audio_bitrate=128, level="3.2"),
    Rendition("1080p", 1080, 8000, 16000, audio_bitrate=128, level="4.2"),
)

# x264 tuned on benchmarks/transcode_ladder.py over its corpus (see benchmarks/README.md):
# veryfast with the cheapest motion search (dia) and no inter partition search keeps mb-tree and
# its 10-frame lookahead, which is where most of the bytes are saved; aq-mode 2 (auto-variance)
# buys back structure. The intra partitions (i8x8, i4x4), subme 2 and trellis 1 are what real
# footage needs: without them Big Buck Bunny lost 0.0036 SSIM at 720p to the reference (hard
# edges after cuts coded as 16x16 intra blocks, flat areas); with them, at equal CRF, 0.0024
# at 2.5 % fewer bytes. The CRF step from 22.5 to 22.2 spends part of the byte budget that left.
# The price: about 0.37x of the reference's CPU instead of 0.31x, above the 0.33x wall target.
DEFAULT_X264_PARAMS = "me=dia:subme=2:partitions=i8x8,i4x4:trellis=1:aq-mode=2"

# Per-title classes (tuning.py), by two measures of the complexity pass (ultrafast, CRF 23, the
# picture fitted into 640x640; complexity.py). On the benchmark corpus (20 s clips), intra bits
# per pixel / intra over all bits per pixel: mandelbrot 1.16 / 2.58, live action 1.26 / 4.71,
# grain 1.33 / 4.80, animation 2.31 / 4.78. Listed from the plainest film up; a film gets the
# last class it reaches.
# - Intra bits per pixel: shrunk that far, soft detail and fine grain are averaged away; what
#   still costs bits is hard structure (outlines, text, flat areas with sharp borders).
# - Intra ratio: high where inter frames are cheap, i.e. the picture is re-used from frame to
#   frame, so what the analysis keeps in the referenced frames propagates (mb-tree); low where
#   the picture changes every frame (mandelbrot's zoom).
# - soft: superfast's motion search (dia, subme 1) and no partition search, CRF 22.5 (480p
#   21.5). About 0.3x of the reference's CPU; SSIM within 0.001 on mandelbrot at 1.11x bytes.
# - steady (intra ratio from 3.1): soft with 8x8 intra partitions. On live action, against
#   soft in the same minutes: +1 % CPU, SSIM -0.0013 instead of -0.0020 at 1080p, 0.943x
#   instead of 0.985x bytes. The detailed settings gained as much there (-0.0007, 0.977x)
#   but at 0.42x of the reference's CPU on a quiet machine, past the 0.33x wall target.
# - detailed (intra bits per pixel from 1.6): DEFAULT_X264_PARAMS at CRF 22.0, 480p at 21.5.
#   On Big Buck Bunny the soft settings lost 0.0036 SSIM at 720p; these at CRF 22.2 with 480p
#   a whole step lower (21.2) ended on the 0.002 line at 720p and 1080p (-0.0020 / -0.0021)
#   with 480p well inside (-0.0004). The 480p rung answers its CRF steeply (+1.0 cost it
#   0.0022 SSIM for 2.8 % of the bytes), so its step shrinks to 0.5 and the bytes it frees go
#   to the rungs that bind: 20 s -0.0010 / -0.0017 / -0.0018 at 1.138x bytes, 8 s -0.0008 /
#   -0.0016 / -0.0018 at 1.124x, the same CPU. About 0.4x of the reference's CPU; cheaper
#   variants measured on the animation are in benchmarks/README.md, none held SSIM and bytes
#   for less.
# The ratio threshold: one-second windows taken anywhere in the corpus clips measured 2.52-2.62
# on mandelbrot and 3.61-6.28 on the other three; 3.1 sits near the geometric middle of that
# gap (18 % above mandelbrot's highest window, 14 % below live action's lowest). The intra
# threshold sits between the highest clip below it (1.33) and the animation (2.31). More
# footage would place both better.
TITLE_TUNINGS = (
    Tuning("soft", 0.0, 22.5, "me=dia:subme=1:partitions=none:aq-mode=2"),
    Tuning(
        "steady", math.inf, 22.5, "me=dia:subme=1:partitions=i8x8:aq-mode=2", from_intra_ratio=3.1
    ),
    Tuning("detailed", 1.6, 22.0, DEFAULT_X264_PARAMS, small_rung_offset=-0.5),
)

DEFAULT_LADDER = Ladder(
    renditions=tuple(r for r in STANDARD_RENDITIONS if r.name in {"480p", "720p", "1080p"}),
    preset="veryfast",
    crf=22.2,
    x264_params=DEFAULT_X264_PARAMS,
    tunings=TITLE_TUNINGS,
)


def plan(source: SourceInfo, ladder: Ladder = DEFAULT_LADDER) -> Plan:
    video = source.video
    frame_rate, resample = output_frame_rate(video)
    return Plan(
        renditions=plan_renditions(video.display_width, video.display_height, ladder),
        frame_rate=frame_rate,
        resample_frame_rate=resample,
        deinterlace=video.interlaced,
        audio=source.default_audio,
    )


def plan_renditions(width: int, height: int, ladder: Ladder) -> tuple[PlannedRendition, ...]:
    """Every rung whose box the source fills without upscaling, sized to keep its aspect.

    A source smaller than the lowest rung gets that rung's settings at its own size.
    """
    portrait = height > width
    planned = []
    for rendition in sorted(ladder.renditions, key=lambda r: r.height):
        box_width, box_height = rendition.box
        if portrait:
            box_width, box_height = box_height, box_width
        scale = min(Fraction(box_width, width), Fraction(box_height, height))
        if scale > 1:
            continue
        planned.append(
            PlannedRendition(rendition.name, _even(width * scale), _even(height * scale), rendition)
        )
    if not planned:
        lowest = min(ladder.renditions, key=lambda r: r.height)
        own_width, own_height = _even(width), _even(height)
        name = f"{min(own_width, own_height)}p"
        planned.append(PlannedRendition(name, own_width, own_height, lowest))
    return tuple(planned)


def output_frame_rate(video: VideoStream) -> tuple[Fraction, bool]:
    """The constant output rate, and whether frames must be dropped or repeated to reach it.

    Variable-rate sources play at their average rate; above 60 fps the rate is halved (as
    often as needed) so every rung stays within its H.264 level.
    """
    if video.variable_frame_rate:
        rate = _rate(video.average_frame_rate) or FALLBACK_FRAME_RATE
    else:
        rate = _rate(video.frame_rate) or _rate(video.average_frame_rate) or FALLBACK_FRAME_RATE
    halved = False
    while rate > MAX_FRAME_RATE:
        rate /= 2
        halved = True
    return rate, halved or video.variable_frame_rate


def _rate(value: float) -> Fraction | None:
    return Fraction(value).limit_denominator(1001) if value and value > 0 else None


def _even(value) -> int:
    return max(2, 2 * round(Fraction(value) / 2))
