"""python -m transcoding INPUT OUTDIR: the library from a shell, with a progress bar or JSON."""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from transcoding.errors import TranscodingError
from transcoding.ladder import DEFAULT_LADDER, Ladder
from transcoding.loudness import DEFAULT_TARGET_LUFS
from transcoding.pipeline import TranscodeResult, transcode
from transcoding.runner import Progress
from transcoding.storyboard import DEFAULT_INTERVAL_SECONDS

BAR_WIDTH = 30
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m transcoding",
        description="Transcode a video into an HLS ladder with a master playlist and thumbnail.",
    )
    parser.add_argument("input", type=Path, help="source video file")
    parser.add_argument("outdir", type=Path, help="output folder (must not exist yet)")
    parser.add_argument(
        "--ladder",
        default=",".join(r.name for r in DEFAULT_LADDER.renditions),
        help="comma-separated rungs (default: %(default)s)",
    )
    parser.add_argument("--segment", type=float, help="segment length in seconds (default 6)")
    parser.add_argument("--keyframes", type=float, help="keyframe interval in seconds (default 2)")
    parser.add_argument("--preset", help="x264 preset for every rung (default: tuned per rung)")
    parser.add_argument("--crf", type=float, help="x264 CRF for every rung")
    parser.add_argument(
        "--x264-params",
        metavar="KEY=VALUE:...",
        help="x264 options for every rung, instead of the default ladder's tuning",
    )
    parser.add_argument(
        "--fixed",
        action="store_true",
        help="the default ladder's fixed x264 settings instead of a per-title choice "
        "(also implied by --preset, --crf and --x264-params)",
    )
    parser.add_argument("--thumbnail-at", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument(
        "--storyboard-interval",
        "--storyboard",
        dest="storyboard",
        type=_positive_seconds,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help="a storyboard tile every SECONDS (default %(default)g)",
    )
    parser.add_argument(
        "--no-storyboard",
        dest="storyboard",
        action="store_const",
        const=None,
        help="write no storyboard",
    )
    parser.add_argument(
        "--loudness-target",
        type=float,
        default=DEFAULT_TARGET_LUFS,
        metavar="LUFS",
        help="integrated loudness the audio is brought to (default %(default)g)",
    )
    parser.add_argument(
        "--no-loudnorm",
        dest="loudness_target",
        action="store_const",
        const=None,
        help="leave the audio's loudness as it is",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def ladder_from_args(args: argparse.Namespace) -> Ladder:
    ladder = DEFAULT_LADDER.select([n.strip() for n in args.ladder.split(",") if n.strip()])
    changes = {}
    if args.segment is not None:
        changes["segment_seconds"] = args.segment
        # A segment shorter than the default keyframe grid brings its own grid along.
        changes["keyframe_seconds"] = min(args.segment, ladder.keyframe_seconds)
    if args.keyframes is not None:
        changes["keyframe_seconds"] = args.keyframes
    if args.preset is not None:
        # A plain x264 preset: the default ladder's tuning on top of veryfast goes too.
        changes["preset"] = args.preset
        changes["x264_params"] = ""
    if args.x264_params is not None:
        changes["x264_params"] = args.x264_params
    if args.crf is not None:
        changes["crf"] = args.crf
    own_params = args.preset is not None or args.x264_params is not None
    if args.fixed or own_params or args.crf is not None:
        # Settings given on the command line hold for this film: no per-title choice.
        changes["tunings"] = ()
    if own_params or args.crf is not None:
        # A global choice on the command line beats the per-rung tuning of the default ladder.
        changes["renditions"] = tuple(
            replace(
                r,
                preset=None if args.preset is not None else r.preset,
                x264_params="" if own_params else r.x264_params,
                crf=None if args.crf is not None else r.crf,
            )
            for r in ladder.renditions
        )
    return replace(ladder, **changes)


def progress_line(progress: Progress) -> str:
    filled = round(BAR_WIDTH * progress.percent / 100)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    speed = f"{progress.speed:.2f}x" if progress.speed else "--"
    eta = clock(progress.eta_seconds) if progress.eta_seconds is not None else "--:--"
    return f"[{bar}] {progress.percent:5.1f}%  {speed:>6}  ETA {eta}"


def summary_lines(result: TranscodeResult) -> list[str]:
    lines = [f"{result.output_dir}: {result.duration:.1f} s"]
    lines += [
        f"  {r.name:>6}  {r.width}x{r.height}  {r.bandwidth / 1000:,.0f} kbit/s peak  "
        f"{r.average_bandwidth / 1000:,.0f} kbit/s average  {len(r.segments)} segments"
        for r in result.renditions
    ]
    if result.encoding:
        tuning, complexity = result.encoding.tuning, result.encoding.complexity
        lines.append(
            f"  per-title class {tuning.name} (intra {complexity.intra_bits_per_pixel:.2f} "
            f"bits per pixel, {complexity.intra_ratio:.2f}x all frames'): crf {tuning.crf:g}, "
            f"x264 {tuning.x264_params}"
        )
    lines.append(f"  master {result.master_playlist} (with I-frame playlists)")
    lines.append(f"  thumbnail {result.thumbnail}")
    if result.storyboard:
        lines.append(f"  storyboard {result.storyboard}")
    if result.loudness:
        measured = result.loudness.integrated_lufs
        lines.append(
            f"  loudness {'silent' if measured is None else f'{measured:.1f} LUFS'}, "
            f"gain {result.loudness.gain_db:+.1f} dB"
        )
    return lines


def main(
    argv: list[str] | None = None, *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr
) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ladder = ladder_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=stderr)
        return EXIT_USAGE
    show_bar = not args.json and stderr.isatty()

    def draw(progress: Progress) -> None:
        stderr.write("\r" + progress_line(progress))
        stderr.flush()

    try:
        result = transcode(
            args.input,
            args.outdir,
            ladder=ladder,
            on_progress=draw if show_bar else None,
            thumbnail_at=args.thumbnail_at,
            storyboard_interval=args.storyboard,
            loudness_target=args.loudness_target,
        )
    except TranscodingError as exc:
        _end_bar(stderr, show_bar)
        print(f"error: {exc.reason}", file=stderr)
        if args.json:
            failure = {"error": exc.reason, "kind": type(exc).__name__, "permanent": exc.permanent}
            print(json.dumps(failure), file=stdout)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _end_bar(stderr, show_bar)
        print("error: Interrupted; nothing was written.", file=stderr)
        return EXIT_INTERRUPTED
    _end_bar(stderr, show_bar)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2), file=stdout)
    else:
        print("\n".join(summary_lines(result)), file=stdout)
    return 0


def _end_bar(stderr: TextIO, shown: bool) -> None:
    if shown:
        stderr.write("\n")
        stderr.flush()


def clock(seconds: float) -> str:
    """Seconds as people read a running time: h:mm:ss, or m:ss under an hour."""
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
