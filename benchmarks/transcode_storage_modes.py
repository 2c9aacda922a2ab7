"""The same film transcoded by the real worker in MEDIA_STORAGE=local and in MEDIA_STORAGE=s3.

    python benchmarks/transcode_storage_modes.py [--seconds 60] [--rounds 3] [--readme]
    DATABASE_URL=postgres://... REDIS_URL=redis://... python benchmarks/transcode_storage_modes.py

Two installations run as real processes (tests/live_server.py), each with its own Huey consumer:

  local   the original under MEDIA_ROOT; the ladder is built on scratch and renamed into place
  s3      the original in a bucket of a real S3 server (SeaweedFS, tests/s3server.py, started
          here), copied to scratch; the ladder uploaded (in parallel, large files in parts)
          under a new version prefix and published by the row update

Every round uploads the same film to both (`manage.py upload_video`), in alternating order
(local, s3, s3, local, ...). A job's time is the worker's own record, claim
(`transcode_started_at`) to ready (`transcode_finished_at`); its CPU time is the consumer's
process tree (ffmpeg included) and, separately, the S3 server's, both over the job alone: the
consumer is held (SIGSTOP) while the film is uploaded and let go once it is queued. Afterwards
the s3 installation copies one original down and uploads one finished ladder through
catalog.storage on their own, to show where s3's extra time goes.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.readme import write_section  # noqa: E402
from benchmarks.viewing import machine_load, tree_cpu_seconds  # noqa: E402
from tests.live_server import LiveStack  # noqa: E402
from tests.media import generate_video  # noqa: E402
from tests.s3server import S3Server, weed_binary  # noqa: E402
from tests.storage.stacks import s3_environment  # noqa: E402
from tests.support import wait_for  # noqa: E402

BEGIN, END = "<!-- transcode-storage-modes:start -->", "<!-- transcode-storage-modes:end -->"
BUCKET = "films"
MODES = ("local", "s3")
TARGET = 1.10  # issue 13: s3 wall time <= 1.10x local
# An edit export: 1080p25 x264 at high quality with stereo AAC, its index after the media.
MEZZANINE = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "17", "-pix_fmt", "yuv420p")
STEREO = ("-ac", "2", "-b:a", "192k")

# Run in the s3 installation: the two steps s3 adds to a job, each alone, as the worker does them.
S3_STEPS = """
import json, shutil, tempfile, time
from pathlib import Path
from catalog.models import Video
from catalog.storage import video_files
files = video_files()
original = Video.objects.get(pk={video_id}).original.name
times = {{"copy": [], "upload": []}}
for _ in range({repeats}):
    scratch = Path(tempfile.mkdtemp(dir={scratch!r}))
    started = time.perf_counter()
    files.copy_source(original, scratch)
    times["copy"].append(time.perf_counter() - started)
    shutil.rmtree(scratch)
    started = time.perf_counter()
    files.stage({video_id}, Path({ladder!r}))
    times["upload"].append(time.perf_counter() - started)
print(json.dumps(times))
"""


@dataclass(frozen=True)
class Job:
    mode: str
    video_id: int
    wall: float  # claim to ready, as the worker recorded it
    worker_cpu: float
    store_cpu: float
    load_after: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the film")
    parser.add_argument("--rounds", type=int, default=3, help="jobs per mode")
    parser.add_argument("--readme", action="store_true", help="write the table to README.md")
    return parser.parse_args()


def moment(value) -> datetime:
    """A timestamp column as PostgreSQL (datetime) or SQLite (text) hands it back."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def run_job(stack: LiveStack, mode: str, film: Path, store: S3Server, ceiling: float) -> Job:
    """Upload the film with the consumer held, then let it transcode and wait for the row."""
    worker = stack.processes["worker"]
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        upload = stack.manage(
            "upload_video", str(film), "--title", f"Film ({mode})", "--json", timeout=ceiling
        )
    finally:
        worker_cpu = tree_cpu_seconds(worker.pid, reaped=True)
        store_cpu = tree_cpu_seconds(store.process.pid, reaped=True)
        os.killpg(worker.pid, signal.SIGCONT)
    video_id = json.loads(upload.stdout[upload.stdout.index("{") :])["id"]
    row = wait_for(
        lambda: finished(stack, video_id),
        timeout=ceiling,
        what=f"the {mode} transcode of video {video_id}",
        every=1.0,
    )
    worker_cpu = tree_cpu_seconds(worker.pid, reaped=True) - worker_cpu
    store_cpu = tree_cpu_seconds(store.process.pid, reaped=True) - store_cpu
    if row["status"] != "ready":
        log = stack.log("worker")[-3000:]
        raise RuntimeError(f"{mode} transcode failed: {row['error']}\n{log}")
    check_published(stack, mode, row, store)
    wall = moment(row["transcode_finished_at"]) - moment(row["transcode_started_at"])
    return Job(mode, video_id, wall.total_seconds(), worker_cpu, store_cpu, os.getloadavg()[0])


def finished(stack: LiveStack, video_id: int) -> dict | None:
    row = stack.video(video_id)
    return row if row["status"] in ("ready", "failed") else None


def check_published(stack: LiveStack, mode: str, row: dict, store: S3Server) -> None:
    """The job really did its mode's work: a live local folder, or a version in the bucket."""
    if mode == "local":
        if row["output_version"] or not (ladder_folder(stack, row["id"]) / "master.m3u8").is_file():
            raise RuntimeError(f"local video {row['id']} has no output swapped into place")
        return
    key = f"hls/{row['id']}/{row['output_version']}/master.m3u8"
    if not row["output_version"]:
        raise RuntimeError(f"s3 video {row['id']} was not published under a version")
    store.client().head_object(Bucket=BUCKET, Key=key)  # raises when it is missing
    if (stack.media_root / "hls" / str(row["id"])).exists():
        raise RuntimeError(f"s3 video {row['id']} left its output on the worker's disk")


def ladder_folder(stack: LiveStack, video_id: int) -> Path:
    return (stack.media_root / "hls" / str(video_id)).resolve()


def measure_s3_steps(stacks: dict, jobs: list[Job], repeats: int, scratch: Path) -> dict:
    """Copying an s3 job's original down, and uploading a local job's ladder (the same one)."""
    s3_video = next(job.video_id for job in jobs if job.mode == "s3")
    local_video = next(job.video_id for job in jobs if job.mode == "local")
    code = S3_STEPS.format(
        video_id=s3_video,
        repeats=repeats,
        scratch=str(scratch),
        ladder=str(ladder_folder(stacks["local"], local_video)),
    )
    times = json.loads(stacks["s3"].shell(code, timeout=3600).strip().splitlines()[-1])
    return {step: statistics.median(values) for step, values in times.items()}


def ladder_facts(folder: Path) -> tuple[int, int, list[str]]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    rungs = [path.parent.name for path in folder.glob("*/index.m3u8")]
    return len(files), sum(path.stat().st_size for path in files), sorted(rungs, key=rung_height)


def rung_height(name: str) -> int:
    return int(name.rstrip("p"))


def render(jobs, *, args, film, steps, ladder, database, loads) -> str:
    by_mode = {mode: [job for job in jobs if job.mode == mode] for mode in MODES}

    def median(mode, field):
        return statistics.median(getattr(job, field) for job in by_mode[mode])

    pairs = [s3.wall / local.wall for local, s3 in zip(*by_mode.values(), strict=True)]
    ratio = statistics.median(pairs)
    files, ladder_bytes, rungs = ladder
    weed = subprocess.run([weed_binary(), "version"], capture_output=True, text=True).stdout
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Film: {args.seconds} s 1920x1080 25 fps x264 CRF 17 with stereo AAC, "
        f"{film.stat().st_size / 1e6:.1f} MB, `moov` after the media; ladder {', '.join(rungs)} "
        f"({files} files, {ladder_bytes / 1e6:.1f} MB). {args.rounds} rounds, interleaved "
        f"(local, s3, s3, local, ...); {database}; store: {weed.splitlines()[0].strip()} on "
        f"loopback, the same disk. Load average (1 min) before/after: {loads[0]} / {loads[1]} "
        f"(`nproc` = {os.cpu_count()}, shared). {when}.",
        "",
        "| mode | job wall s, median | per round | worker CPU s, median | store CPU s, median |",
        "|---|---|---|---|---|",
    ]
    for mode in MODES:
        rounds = ", ".join(f"{job.wall:.1f}" for job in by_mode[mode])
        lines.append(
            f"| {mode} | {median(mode, 'wall'):.1f} | {rounds} | {median(mode, 'worker_cpu'):.1f} "
            f"| {median(mode, 'store_cpu'):.1f} |"
        )
    verdict = "met" if ratio <= TARGET else "**missed**"
    extra = median("s3", "wall") - median("local", "wall")
    lines += [
        "",
        f"s3 / local per round: {', '.join(f'{pair:.3f}' for pair in pairs)}; median "
        f"**{ratio:.3f}x** (target <= {TARGET:.2f}x: {verdict}). Median of s3 minus median of "
        f"local: {extra:+.1f} s.",
        "",
        f"Where s3's extra time goes, each step alone in the s3 installation through "
        f"`catalog.storage` (median of {args.rounds}): copying the original down "
        f"{steps['copy']:.2f} s, uploading the ladder {steps['upload']:.2f} s; together "
        f"{steps['copy'] + steps['upload']:.2f} s. 1-minute load average after each job: "
        + ", ".join(f"{job.mode} {job.load_after:.1f}" for job in jobs)
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    ceiling = max(1800.0, args.seconds * 60.0)  # a loaded 2-core machine: slow, never stuck
    database = os.environ.get("DATABASE_URL", "").split(":", 1)[0] or "sqlite"
    database = "PostgreSQL + Redis" if database.startswith("postgres") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="transcode-storage-modes-") as folder:
        work = Path(folder)
        film = generate_video(
            work / "film.mp4",
            seconds=args.seconds,
            width=1920,
            height=1080,
            video_args=MEZZANINE,
            extra_args=STEREO,
            timeout=max(600, args.seconds * 30),
        )
        with S3Server.start(work / "s3") as store:
            store.client().create_bucket(Bucket=BUCKET)
            stacks = {
                "local": LiveStack(work / "local", name="modelocal"),
                "s3": LiveStack(work / "s3stack", name="modes3", env=s3_environment(store, BUCKET)),
            }
            try:
                for stack in stacks.values():
                    stack.install()
                    stack.start_worker()
                load_before = machine_load().split(" / ")[0]
                jobs = []
                for round_number in range(args.rounds):
                    order = MODES if round_number % 2 == 0 else MODES[::-1]
                    for mode in order:
                        job = run_job(stacks[mode], mode, film, store, ceiling)
                        jobs.append(job)
                        print(
                            f"round {round_number + 1} {mode:5} {job.wall:7.1f} s wall "
                            f"{job.worker_cpu:7.1f} s worker CPU {job.store_cpu:6.1f} s store CPU "
                            f"load {job.load_after:.1f}",
                            flush=True,
                        )
                load_after = machine_load().split(" / ")[0]
                for stack in stacks.values():
                    stack.stop("worker")
                steps = measure_s3_steps(stacks, jobs, args.rounds, work)
                local_video = next(job.video_id for job in jobs if job.mode == "local")
                ladder = ladder_facts(ladder_folder(stacks["local"], local_video))
            finally:
                for stack in stacks.values():
                    stack.close()
        section = render(
            jobs,
            args=args,
            film=film,
            steps=steps,
            ladder=ladder,
            database=database,
            loads=(load_before, load_after),
        )
    print(section)
    if args.readme:
        write_section(BEGIN, END, section)


if __name__ == "__main__":
    main()
