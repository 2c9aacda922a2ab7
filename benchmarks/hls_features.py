"""What the storyboard, the loudness pass and the I-frame playlists cost a transcode.

python benchmarks/hls_features.py [--seconds 20] [--repeats 3] [--no-readme]

On the ladder benchmark's 1080p source, interleaved (the order rotates every repeat):
- ladder only: transcode() with the storyboard and loudness normalisation off;
- + storyboard: the same with a tile every 5 s (the default);
- default: storyboard and loudness normalisation (the analysis pass, then the gain).
The loudness analysis pass is also timed alone, and the I-frame playlists (written in every
variant) are timed by writing them again from the ladder-only output.
"""

import argparse
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.readme import write_section  # noqa: E402
from benchmarks.transcode_ladder import CORPUS, WORK, measured, prepare  # noqa: E402
from transcoding import probe, transcode  # noqa: E402
from transcoding.hls import measure_rendition  # noqa: E402
from transcoding.iframes import write_iframe_playlist  # noqa: E402
from transcoding.ladder import DEFAULT_LADDER, plan  # noqa: E402
from transcoding.loudness import DEFAULT_TARGET_LUFS, measure_loudness  # noqa: E402

START_MARKER = "<!-- hls_features:start -->"
END_MARKER = "<!-- hls_features:end -->"
VARIANTS = {
    "ladder only": {"storyboard_interval": None, "loudness_target": None},
    "+ storyboard (5 s)": {"loudness_target": None},
    "default (+ loudness)": {},
}
STORYBOARD_TARGET = 0.03


def iframe_seconds(output: Path, source: Path) -> float:
    """Wall time to write every rung's I-frame playlist again from a finished output."""
    planned = plan(probe(source), DEFAULT_LADDER)
    renditions = [
        measure_rendition(output / r.name, r, planned.frame_rate, has_audio=True)
        for r in planned.renditions
    ]
    started = time.perf_counter()
    for rendition in renditions:
        write_iframe_playlist(output / rendition.name, rendition)
    return time.perf_counter() - started


def report(seconds: float, runs: dict, analysis: list, iframes: float) -> str:
    walls = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    cpus = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    base, board, full = (walls[n] for n in VARIANTS)
    board_cost, board_cpu = board / base - 1, cpus["+ storyboard (5 s)"] / cpus["ladder only"] - 1
    analysis_wall = statistics.median(r.wall for r in analysis)
    analysis_cpu = statistics.median(r.cpu for r in analysis)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"Source: the ladder benchmark's {seconds:g} s 1920x1080 source with stereo audio. "
        f"{len(runs['ladder only'])} interleaved runs per variant; medians. "
        f"Measured {when} UTC on 2 shared cores.",
        "",
        "| variant | wall (s) | vs ladder only | CPU (s) | vs ladder only |",
        "|---|---|---|---|---|",
    ]
    for name in VARIANTS:
        lines.append(
            f"| {name} | {walls[name]:.1f} | {walls[name] / base:.3f}x | {cpus[name]:.1f} | "
            f"{cpus[name] / cpus['ladder only']:.3f}x |"
        )
    lines += [
        f"| loudness analysis pass alone | {analysis_wall:.2f} | {analysis_wall / base:.3f}x | "
        f"{analysis_cpu:.2f} | {analysis_cpu / cpus['ladder only']:.3f}x |",
        f"| I-frame playlists, all rungs (in every variant) | {iframes:.2f} | "
        f"{iframes / base:.3f}x | | |",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| storyboard <= 3 % of the transcode's wall time | {board_cost:+.1%} wall, "
        f"{board_cpu:+.1%} CPU | {'met' if board_cost <= STORYBOARD_TARGET else 'missed'} |",
        f"| loudness pass: a few percent of the encode | {analysis_wall / full:.1%} of the "
        f"default transcode's wall | |",
        "",
        "Per-run wall times (s): "
        + "; ".join(f"{name} {', '.join(f'{r.wall:.1f}' for r in rs)}" for name, rs in runs.items())
        + ". 1-minute load average after each run: "
        + ", ".join(f"{r.load:.1f}" for rs in runs.values() for r in rs)
        + ".",
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    write_section(START_MARKER, END_MARKER, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="print the tables only")
    args = parser.parse_args()

    source = prepare(CORPUS[0], args.seconds)  # the generated Mandelbrot clip
    info = probe(source)
    runs_dir = WORK / "hls-features"
    shutil.rmtree(runs_dir, ignore_errors=True)
    runs: dict[str, list] = {name: [] for name in VARIANTS}
    analysis = []
    names = list(VARIANTS)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            out = runs_dir / f"{names.index(name)}-{repeat}"
            run = measured(lambda n=name, o=out: transcode(source, o, **VARIANTS[n]))
            runs[name].append(run)
            print(f"run {repeat + 1} {name}: {run.wall:.1f} s wall, load {run.load:.1f}")
        run = measured(
            lambda: measure_loudness(
                source,
                info.default_audio.index,
                target_lufs=DEFAULT_TARGET_LUFS,
                duration=info.duration,
            )
        )
        analysis.append(run)
        print(f"run {repeat + 1} loudness analysis: {run.wall:.2f} s wall")
    iframes = iframe_seconds(runs_dir / "0-0", source)
    section = report(args.seconds, runs, analysis, iframes)
    print(section)
    if not args.no_readme:
        write_readme(section)


if __name__ == "__main__":
    main()
