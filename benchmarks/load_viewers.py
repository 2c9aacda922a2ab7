"""Load: N concurrent simulated viewers against the production setup on this machine.

Starts Videoflix as in production (Granian with 2 workers, DEBUG=false, PostgreSQL, Redis, a
Huey consumer), uploads a generated film through `manage.py upload_video --wait`, then lets N
viewers play it over loopback for a bounded time. Each viewer logs in once, then repeats:
list the catalog, fetch the master playlist, the variant playlist of one rung, and every
segment of that rung in order, each answered before the next is asked (closed loop, no
pacing: the numbers are capacity). Reports requests/s, bytes/s, p50 / p99 latency per kind of
request, and errors, which must be zero (exit status 1 otherwise).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vf_proof REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/load_viewers.py --viewers 16,64 --seconds 20 --write-readme

The stack gets its own database (<name>_vflivebench<pid>) and Redis key prefix, removed at the end.
The client runs on the same 2 cores as the server (2 processes of threads, keep-alive HTTP/1.1).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.readme import write_section  # noqa: E402
from tests.live_server import LiveStack  # noqa: E402
from tests.media import generate_video  # noqa: E402

BEGIN, END = "<!-- load_viewers:begin -->", "<!-- load_viewers:end -->"
PASSWORD = "load-viewer-horse-battery-9"  # noqa: S105 - throwaway accounts of a throwaway stack
CLIENT_PROCESSES = 2
KINDS = ("list", "master", "variant", "segment")
GRANIAN_WORKERS = 2  # as the production image (Containerfile CMD)

CREATE_VIEWERS = """
from accounts.models import User
template = User(email="template@example.com")
template.set_password({password!r})
User.objects.bulk_create(
    [User(email=f"viewer{{n}}@load.example", password=template.password, is_active=True)
     for n in range({count})]
)
print(User.objects.filter(email__endswith="@load.example").count())
"""


@dataclass(frozen=True)
class Sample:
    kind: str
    started: float  # wall clock, comparable across the client processes
    seconds: float
    status: int  # 0: no answer (connection error, timeout)
    size: int


class Viewer:
    """One keep-alive connection, cookies as a browser keeps them, every request timed."""

    def __init__(self, base_url: str, email: str, client_ip: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.email = email
        # The stack trusts one proxy: each viewer appears with its own address, as behind nginx.
        self.headers = {"X-Forwarded-For": client_ip}
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.samples: list[Sample] = []

    def request(self, kind: str, method: str, path: str, body: dict | None = None) -> bytes:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started, clock = time.time(), time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.samples.append(Sample(kind, started, time.perf_counter() - clock, 0, 0))
            return b""
        self.samples.append(
            Sample(kind, started, time.perf_counter() - clock, response.status, len(content))
        )
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return content if 200 <= response.status < 300 else b""

    def log_in(self) -> bool:
        self.request("login", "POST", "/api/login/", {"email": self.email, "password": PASSWORD})
        return "access_token" in self.cookies

    def watch_once(self, choose_film: int) -> None:
        """List, pick a film, master, one rung's playlist, then its segments in order."""
        listing = self.request("list", "GET", "/api/video/")
        films = json.loads(listing) if listing else []
        if not films:
            return
        film = films[choose_film % len(films)]
        master_path = f"/api/video/{film['id']}/master.m3u8"
        rungs = _uris(self.request("master", "GET", master_path))
        if not rungs:
            return
        variant_path = urljoin(master_path, rungs[choose_film % len(rungs)])
        for segment in _uris(self.request("variant", "GET", variant_path)):
            self.request("segment", "GET", urljoin(variant_path, segment))


def _uris(playlist: bytes) -> list[str]:
    lines = playlist.decode(errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _client_process(base_url, emails, first_number, seconds, ready, go, start_at, results):
    """Log every viewer in, report ready, then play from the common start until the end."""
    viewers = [
        Viewer(base_url, email, f"10.{(first_number + n) // 250}.{(first_number + n) % 250}.1")
        for n, email in enumerate(emails)
    ]
    logged_in = [viewer.log_in() for viewer in viewers]
    ready.put(sum(logged_in))
    go.wait()
    stop_at = start_at.value + seconds

    def play(viewer: Viewer, number: int) -> None:
        plays = number
        while time.time() < stop_at:
            viewer.watch_once(plays)
            plays += 1

    threads = [
        threading.Thread(target=play, args=(viewer, first_number + n))
        for n, viewer in enumerate(viewers)
        if logged_in[n]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put([sample for viewer in viewers for sample in viewer.samples])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class RunResult:
    viewers: int
    logged_in: int
    seconds: float
    samples: list[Sample]

    @property
    def steady(self) -> list[Sample]:
        return [sample for sample in self.samples if sample.kind in KINDS]

    @property
    def errors(self) -> int:
        return sum(1 for sample in self.samples if not 200 <= sample.status < 300)

    def row(self, samples: list[Sample]) -> dict:
        latencies = [sample.seconds * 1000 for sample in samples]
        return {
            "requests": len(samples),
            "per_second": len(samples) / self.seconds,
            "mb_per_second": sum(sample.size for sample in samples) / self.seconds / 1e6,
            "p50": _percentile(latencies, 0.50) if latencies else 0.0,
            "p99": _percentile(latencies, 0.99) if latencies else 0.0,
            "errors": sum(1 for sample in samples if not 200 <= sample.status < 300),
        }


def run_viewers(base_url: str, viewers: int, seconds: float) -> RunResult:
    emails = [f"viewer{n}@load.example" for n in range(viewers)]
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    shares = [emails[n::CLIENT_PROCESSES] for n in range(CLIENT_PROCESSES)]
    processes = [
        context.Process(
            target=_client_process,
            args=(base_url, share, n * viewers, seconds, ready, go, start_at, results),
        )
        for n, share in enumerate(shares)
        if share
    ]
    for process in processes:
        process.start()
    logged_in = sum(ready.get(timeout=600) for _ in processes)
    start_at.value = time.time()
    go.set()
    samples = [sample for _ in processes for sample in results.get(timeout=seconds + 600)]
    for process in processes:
        process.join()
    ends = [sample.started + sample.seconds for sample in samples if sample.kind in KINDS]
    measured = max([*ends, start_at.value + seconds]) - start_at.value
    return RunResult(viewers=viewers, logged_in=logged_in, seconds=measured, samples=samples)


def prepare_stack(workdir: Path, max_viewers: int) -> tuple[LiveStack, dict]:
    stack = LiveStack(
        workdir / "stack",
        name="bench",
        env={"TRUSTED_PROXY_COUNT": "1"},
    )
    stack.install()
    stack.start_worker()
    source = generate_video(workdir / "film.mp4", seconds=24, width=1280, height=720)
    upload = stack.manage(
        "upload_video", str(source), "--title", "Load film", "--category", "drama",
        "--publish", "--wait", "--json", timeout=900,
    )  # fmt: skip
    film = json.loads(upload.stdout[upload.stdout.index("{") :])
    stack.stop("worker")  # viewers only: the worker would compete for the 2 cores for nothing
    created = stack.shell(CREATE_VIEWERS.format(password=PASSWORD, count=max_viewers))
    if int(created.strip().splitlines()[-1]) != max_viewers:
        raise RuntimeError(f"viewer accounts not created: {created}")
    stack.start_web(workers=GRANIAN_WORKERS)
    return stack, film


def film_facts(stack: LiveStack, film_id: int) -> dict:
    folder = stack.media_root / "hls" / str(film_id)
    segments = list(folder.resolve().glob("*/*.ts"))
    return {
        "rungs": sorted(path.name for path in folder.resolve().iterdir() if path.is_dir()),
        "segments": len(segments),
        "mean_segment_kb": statistics.mean(p.stat().st_size for p in segments) / 1000,
    }


def markdown(results: list[RunResult], facts: dict, seconds: float, load_before: str) -> str:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    lines = [
        "## Load: concurrent viewers (`benchmarks/load_viewers.py`)",
        "",
        f"Production setup on this machine ({os.cpu_count()} cores, {cpu}; load average "
        f"{load_before} before the run): Granian with {GRANIAN_WORKERS} workers as "
        f"`manage.py serve --workers {GRANIAN_WORKERS}` starts it, `DEBUG=false`, PostgreSQL, "
        "Redis (cache and queue), over loopback; the Huey worker is stopped once the film is "
        "ready. The film: 24 s generated 1280x720, uploaded with `upload_video --wait`, "
        f"ladder {' / '.join(facts['rungs'])}, {facts['segments']} segments averaging "
        f"{facts['mean_segment_kb']:.0f} kB. Each viewer logs in once, then repeats list -> "
        "master playlist -> one rung's playlist -> every segment in order, without pauses "
        f"(closed loop: capacity, not a viewing pace), for {seconds:.0f} s. The client "
        f"({CLIENT_PROCESSES} processes of threads) shares the 2 cores with the server.",
        "",
        "Reproduce: `DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python "
        "benchmarks/load_viewers.py --viewers 16,64 --seconds 20 --write-readme`.",
        "",
        "| viewers | requests | req/s | MB/s | p50 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        row = result.row(result.steady)
        lines.append(
            f"| {result.viewers} | {row['requests']} | {row['per_second']:,.0f} | "
            f"{row['mb_per_second']:,.1f} | {row['p50']:.1f} | {row['p99']:.1f} | "
            f"{result.errors} |"
        )
    lines += [
        "",
        "By kind of request (p50 / p99 ms, count):",
        "",
        "| viewers | login | list | master | variant | segment |",
        "|---:|---|---|---|---|---|",
    ]
    for result in results:
        cells = []
        for kind in ("login", *KINDS):
            row = result.row([sample for sample in result.samples if sample.kind == kind])
            cells.append(f"{row['p50']:.1f} / {row['p99']:.1f} ({row['requests']})")
        lines.append(f"| {result.viewers} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Errors count every answer outside 2xx and every request without an answer, logins "
        "included; the benchmark exits non-zero when there is any.",
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    write_section(BEGIN, END, section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="16,64", help="comma-separated viewer counts")
    parser.add_argument("--seconds", type=float, default=20, help="measured time per count")
    parser.add_argument("--write-readme", action="store_true", help="update benchmarks/README.md")
    options = parser.parse_args()
    counts = [int(part) for part in options.viewers.split(",")]
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        print(
            "Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark runs the production setup."
        )
        return 2
    load_before = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="videoflix-load-") as folder:
        stack, film = prepare_stack(Path(folder), max(counts))
        try:
            facts = film_facts(stack, film["id"])
            results = []
            for count in counts:
                result = run_viewers(stack.url(""), count, options.seconds)
                row = result.row(result.steady)
                print(
                    f"{count} viewers ({result.logged_in} logged in): {row['requests']} requests, "
                    f"{row['per_second']:,.0f} req/s, {row['mb_per_second']:,.1f} MB/s, "
                    f"p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, {result.errors} errors",
                    flush=True,
                )
                results.append(result)
        finally:
            stack.close()
    section = markdown(results, facts, options.seconds, load_before)
    print(section)
    if options.write_readme:
        write_readme(section)
    failed = any(result.errors or result.logged_in != result.viewers for result in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
