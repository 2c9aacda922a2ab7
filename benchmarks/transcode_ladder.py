"""Our single-decode HLS ladder against the reference pipeline, side by side in one run.

    python benchmarks/transcode_ladder.py [--seconds 30] [--repeats 3] [--no-readme]

The reference is what the original Videoflix backends run: three separate ffmpeg processes,
one per rung, `-vf scale=-2:H -c:v libx264 -crf 23 -c:a aac -hls_time 10` with x264's default
preset. Ours is `transcoding.transcode()` with DEFAULT_LADDER (thumbnail and validation
included). Runs are interleaved (reference, ours, reference, ...) so both see the same load on
this shared machine; wall time and CPU are medians. SSIM compares each rung, all frames,
against the source scaled to that rung's size with the same bicubic scaler. The table is
written between markers into benchmarks/README.md.
"""

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transcoding import DEFAULT_LADDER, probe, transcode  # noqa: E402

WORK = ROOT / "benchmarks" / "work"
README = ROOT / "benchmarks" / "README.md"
START_MARKER = "<!-- transcode_ladder:start -->"
END_MARKER = "<!-- transcode_ladder:end -->"
REFERENCE_HEIGHTS = (480, 720, 1080)
TARGETS = {"wall": 0.33, "ssim": -0.002, "bytes": 1.15, "cores": 1.8}

# A zooming Mandelbrot set (fine detail that keeps changing, hard for motion search), a
# testsrc2 window sliding across it (sharp edges, text, translation) and light temporal grain
# like a camera sensor's, so neither encoder gets flat synthetic frames for free. The audio is
# a tone over pink noise; it only has to cost what real audio costs.
SOURCE_VIDEO = (
    "mandelbrot=s=1920x1080:r=25,format=yuv420p[bg];"
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

    @property
    def cores(self) -> float:
        return self.cpu / self.wall


def generate_source(seconds: float) -> Path:
    """The 1080p source with stereo audio, made once per length and cached in benchmarks/work."""
    path = WORK / f"source-1080p-{seconds:g}s.mp4"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", SOURCE_VIDEO,
            "-f", "lavfi", "-i", SOURCE_AUDIO,
            "-t", f"{seconds:g}", "-ac", "2",
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
    return Run(wall, cpu)


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


def run_ours(source: Path, out: Path) -> Run:
    return measured(lambda: transcode(source, out))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.ts"))


def ssim(rendition_playlist: Path, source: Path) -> float:
    """SSIM (All) of every frame of a rung against the source scaled to the rung's size."""
    video = probe(rendition_playlist).video
    completed = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostats", "-i", str(rendition_playlist), "-i", str(source),
            "-lavfi",
            f"[0:v]setpts=PTS-STARTPTS[encoded];"
            f"[1:v]scale={video.width}:{video.height}:flags=bicubic,setpts=PTS-STARTPTS[ref];"
            f"[encoded][ref]ssim",
            "-f", "null", "-",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.findall(r"All:([0-9.]+)", completed.stderr)[-1])


def rung_ssims(out: Path, source: Path) -> dict[int, float]:
    return {height: ssim(out / f"{height}p" / "index.m3u8", source) for height in REFERENCE_HEIGHTS}


def ladder_settings() -> str:
    rungs = ", ".join(
        f"{r.name} {r.preset or DEFAULT_LADDER.preset} crf {r.crf or DEFAULT_LADDER.crf:g}"
        + (f" `{r.x264_params}`" if r.x264_params else "")
        for r in DEFAULT_LADDER.renditions
    )
    shared = f"`{DEFAULT_LADDER.x264_params}`" if DEFAULT_LADDER.x264_params else "none"
    return (
        f"{rungs}; shared x264 params {shared}; keyframes every "
        f"{DEFAULT_LADDER.keyframe_seconds:g} s, {DEFAULT_LADDER.segment_seconds:g} s segments, "
        f"{DEFAULT_LADDER.scaler} scaling"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(seconds: float, reference: list[Run], ours: list[Run], ssims: dict, sizes: dict) -> str:
    ref_wall = statistics.median(r.wall for r in reference)
    our_wall = statistics.median(r.wall for r in ours)
    ref_cores = statistics.median(r.cores for r in reference)
    our_cores = statistics.median(r.cores for r in ours)
    wall_ratios = [o.wall / r.wall for r, o in zip(reference, ours, strict=True)]
    ratio = statistics.median(wall_ratios)
    bytes_ratio = sizes["ours"] / sizes["reference"]
    ssim_deltas = {h: ssims["ours"][h] - ssims["reference"][h] for h in REFERENCE_HEIGHTS}
    worst_delta = min(ssim_deltas.values())

    def ssim_cells(which):
        return " / ".join(f"{ssims[which][h]:.4f}" for h in REFERENCE_HEIGHTS)

    lines = [
        f"Source: {seconds:g} s, 1920x1080, 25 fps, stereo AAC, generated by the script. "
        f"{len(ours)} interleaved runs each; medians. Measured "
        f"{time.strftime('%Y-%m-%d %H:%M')} on `nproc` = 2, shared with other work.",
        "",
        "| pipeline | wall (s) | x realtime | SSIM 480p / 720p / 1080p | bytes | CPU cores busy |",
        "|---|---|---|---|---|---|",
        f"| reference (3 runs, medium, CRF 23) | {ref_wall:.1f} | {seconds / ref_wall:.2f} | "
        f"{ssim_cells('reference')} | {sizes['reference']:,} | {ref_cores:.2f} |",
        f"| ours (one decode, DEFAULT_LADDER) | {our_wall:.1f} | {seconds / our_wall:.2f} | "
        f"{ssim_cells('ours')} | {sizes['ours']:,} | {our_cores:.2f} |",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| wall <= {TARGETS['wall']}x reference | {ratio:.3f}x (per-run ratios "
        f"{', '.join(f'{r:.3f}' for r in wall_ratios)}) | {verdict(ratio <= TARGETS['wall'])} |",
        f"| SSIM per rung >= reference - 0.002 | "
        f"{' / '.join(f'{d:+.4f}' for d in ssim_deltas.values())} | "
        f"{verdict(worst_delta >= TARGETS['ssim'])} |",
        f"| bytes <= {TARGETS['bytes']}x reference | {bytes_ratio:.3f}x | "
        f"{verdict(bytes_ratio <= TARGETS['bytes'])} |",
        f"| >= {TARGETS['cores']} cores busy | {our_cores:.2f} | "
        f"{verdict(our_cores >= TARGETS['cores'])} |",
        "",
        f"Ours: {ladder_settings()}.",
        "Per-run wall times (s): reference "
        + ", ".join(f"{r.wall:.1f}" for r in reference)
        + "; ours "
        + ", ".join(f"{r.wall:.1f}" for r in ours)
        + ".",
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{START_MARKER}\n{section}\n{END_MARKER}"
    if START_MARKER in text:
        text = re.sub(
            re.escape(START_MARKER) + ".*?" + re.escape(END_MARKER),
            lambda _: block,
            text,
            flags=re.DOTALL,
        )
    else:
        text = text.rstrip() + f"\n\n## Transcoding ladder\n\n{block}\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    args = parser.parse_args()

    source = generate_source(args.seconds)
    runs_dir = WORK / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    reference, ours = [], []
    for repeat in range(args.repeats):
        ref_out, our_out = runs_dir / f"reference-{repeat}", runs_dir / f"ours-{repeat}"
        # Alternate who goes first so a load spike from elsewhere does not favour one side.
        order = [("reference", ref_out), ("ours", our_out)]
        for name, out in order if repeat % 2 == 0 else reversed(order):
            run = run_reference(source, out) if name == "reference" else run_ours(source, out)
            (reference if name == "reference" else ours).append(run)
            print(f"run {repeat + 1} {name}: {run.wall:.1f} s wall, {run.cores:.2f} cores")
    first_ref, first_ours = runs_dir / "reference-0", runs_dir / "ours-0"
    sizes = {"reference": folder_bytes(first_ref), "ours": folder_bytes(first_ours)}
    ssims = {"reference": rung_ssims(first_ref, source), "ours": rung_ssims(first_ours, source)}
    section = report(args.seconds, reference, ours, ssims, sizes)
    print(section)
    if not args.no_readme:
        write_readme(section)
    shutil.rmtree(runs_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
