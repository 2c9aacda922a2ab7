"""Viewing: watch-progress reports at the players' pace, and catalog search and paging over
100,000 films, against the production setup on this machine.

Starts Videoflix as in production (Granian with 2 workers, DEBUG=false, PostgreSQL, Redis) and
measures over loopback:

- `progress`: N viewers, each reporting its position (PUT /api/video/<id>/progress/) every
  10 s as players do, spread evenly over the 10 s: N / 10 writes a second, open loop. A
  request's latency counts from the moment it was due, so a server (or client) falling
  behind shows in the numbers instead of slowing the pace down. The first 10 s (each
  viewer's first report: row inserts, cold caches) are not measured.
- `catalog`: 100,000 streamable films with generated titles and descriptions, then GET
  /api/video/ one request after another: a first page, a page deep in the list (by cursor),
  searches for a common and a rare word, a category's page, and /api/categories/.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vf_proof REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/viewing.py --viewers 1000,2000,3000,4000 --seconds 30 \\
        --write-readme

The stack gets its own database and Redis key prefix, removed at the end. The client runs on
the same 2 cores as the server.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_viewers import GRANIAN_WORKERS, _percentile  # noqa: E402
from benchmarks.readme import write_section  # noqa: E402
from tests.live_server import LiveStack  # noqa: E402
from tests.support import child_processes  # noqa: E402

BEGIN, END = "<!-- viewing:begin -->", "<!-- viewing:end -->"
REPORT_EVERY = 10.0  # seconds between one player's reports
CLIENT_PROCESSES = 2
CONNECTIONS_PER_PROCESS = 24
FILMS_FOR_PROGRESS = 20
CATALOG_FILMS = 100_000
CATALOG_SAMPLES = 300  # requests per kind

CREATE_PROGRESS_STACK = """
import json
from ninja_jwt.tokens import AccessToken
from accounts.models import User
from catalog.models import Video
User.objects.bulk_create(
    [User(email=f"viewer{{n}}@load.example", is_active=True) for n in range({viewers})]
)
films = Video.objects.bulk_create(
    [Video(title=f"Film {{n}}", original=f"originals/{{n}}.mp4", status="ready",
           output_live=True, is_published=True, duration=5400.0, renditions=["480p"])
     for n in range({films})]
)
users = User.objects.filter(email__endswith="@load.example").order_by("pk")
print(json.dumps({{"films": [film.pk for film in films],
                  "tokens": [str(AccessToken.for_user(user)) for user in users]}}))
"""

# Words drawn with a fixed seed: "common" appears in about one film in ten, "rare" in a few.
CREATE_CATALOG = """
import random
from django.db import connection
from catalog.models import Category, Video
random.seed(7)
words = [f"w{{n}}" for n in range(5000)]
categories = [category.value for category in Category]
def text(count):
    chosen = random.choices(words, k=count)
    if random.random() < 0.1:
        chosen.append("harbour")
    if random.random() < 0.0005:
        chosen.append("lighthouse")
    random.shuffle(chosen)
    return " ".join(chosen)
for start in range(0, {films}, 5000):
    Video.objects.bulk_create(
        [Video(title=text(3), description=text(25), category=random.choice(categories),
               original=f"originals/{{n}}.mp4", status="ready", output_live=True,
               is_published=random.random() < 0.95, duration=5400.0, renditions=["480p"])
         for n in range(start, start + 5000)]
    )
with connection.cursor() as cursor:
    cursor.execute("UPDATE catalog_video SET created_at = now() - id * interval '5 minutes'")
    cursor.execute("ANALYZE catalog_video")
from ninja_jwt.tokens import AccessToken
from accounts.models import User
user = User.objects.create(email="browser@load.example", is_active=True)
print(Video.objects.count(), AccessToken.for_user(user))
"""


def machine_load() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def tree_cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU time of a process and its live descendants (the Granian workers):
    what the web tier spent, whatever else loads the machine. With `reaped`, also what their
    children that already ended and were waited for spent (a worker's finished ffmpeg runs)."""
    ticks, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            text = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        pending += child_processes(current)
    return ticks / os.sysconf("SC_CLK_TCK")


class Connection:
    """One keep-alive connection; a request is (method, path, body, cookie)."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def send(self, method: str, path: str, token: str, body: bytes | None = None):
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            return 0, b"", {}
        # Header names in lower case: servers may send them either way.
        return response.status, content, {k.lower(): v for k, v in response.getheaders()}


# --- progress -------------------------------------------------------------------------------


def _reporting_process(base_url, schedule, start_at, stop_at, warm_until, results):
    """Send each (due offset, token, path) of `schedule` when due, round after round."""
    lanes = [schedule[n::CONNECTIONS_PER_PROCESS] for n in range(CONNECTIONS_PER_PROCESS)]
    # (answered at, latency from due, latency from sending, status)
    samples: list[tuple[float, float, float, int]] = []
    lock = threading.Lock()

    def lane(work):
        connection = Connection(base_url)
        mine = []
        round_start = start_at
        position = 0.0
        while round_start < stop_at:
            for offset, token, path in work:
                due = round_start + offset
                if due >= stop_at:
                    break
                delay = due - time.time()
                if delay > 0:
                    time.sleep(delay)
                body = json.dumps({"position_seconds": position}).encode()
                sent = time.time()
                status, _, _ = connection.send("PUT", path, token, body)
                if due >= warm_until:
                    answered = time.time()
                    mine.append((answered, answered - due, answered - sent, status))
            round_start += REPORT_EVERY
            position += REPORT_EVERY
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=lane, args=(work,)) for work in lanes if work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(samples)


def run_progress(stack: LiveStack, tokens: list[str], films: list[int], seconds: float) -> dict:
    base_url = stack.url("").rstrip("/")
    web = stack.processes["web"].pid
    viewers = len(tokens)
    schedule = [
        (REPORT_EVERY * n / viewers, token, f"/api/video/{films[n % len(films)]}/progress/")
        for n, token in enumerate(tokens)
    ]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 2
    warm_until = start_at + REPORT_EVERY
    stop_at = warm_until + seconds
    load_before = machine_load()
    processes = [
        context.Process(
            target=_reporting_process,
            args=(base_url, schedule[n::CLIENT_PROCESSES], start_at, stop_at, warm_until, results),
        )
        for n in range(CLIENT_PROCESSES)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0.0, warm_until - time.time()))
    cpu_before = tree_cpu_seconds(web)
    samples = [sample for _ in processes for sample in results.get(timeout=seconds + 600)]
    cpu = tree_cpu_seconds(web) - cpu_before
    for process in processes:
        process.join()
    latencies = [latency * 1000 for _, latency, _, _ in samples]
    service = [latency * 1000 for _, _, latency, _ in samples]
    # Answers per second until the last one came: below the target when the server fell behind.
    answering = max(seconds, max(answered for answered, _, _, _ in samples) - warm_until)
    return {
        "viewers": viewers,
        "target_rate": viewers / REPORT_EVERY,
        "rate": len(samples) / answering,
        "requests": len(samples),
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "max": max(latencies),
        "service_p50": _percentile(service, 0.5),
        "service_p99": _percentile(service, 0.99),
        # Includes the last reports' tail: a slight overestimate.
        "cpu_ms": 1000 * cpu / max(1, len(samples)),
        "errors": sum(1 for _, _, _, status in samples if status != 200),
        "load": f"{load_before} -> {machine_load()}",
    }


def progress_benchmark(workdir: Path, counts: list[int], seconds: float) -> list[dict]:
    stack = LiveStack(workdir / "progress", name="viewbench")
    try:
        stack.install()
        made = json.loads(
            stack.shell(
                CREATE_PROGRESS_STACK.format(viewers=max(counts), films=FILMS_FOR_PROGRESS),
                timeout=600,
            )
            .strip()
            .splitlines()[-1]
        )
        stack.start_web(workers=GRANIAN_WORKERS)
        rows = []
        for count in counts:
            row = run_progress(stack, made["tokens"][:count], made["films"], seconds)
            print(
                f"{count} viewers: {row['rate']:.0f} reports/s (target {row['target_rate']:.0f}), "
                f"p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, max {row['max']:.0f} ms, "
                f"from sending p50 {row['service_p50']:.1f} / p99 {row['service_p99']:.1f} ms, "
                f"web CPU {row['cpu_ms']:.2f} ms per report, "
                f"{row['errors']} errors, load {row['load']}",
                flush=True,
            )
            rows.append(row)
        return rows
    finally:
        stack.close()


# --- catalog --------------------------------------------------------------------------------


def _timed(connection: Connection, token: str, path: str) -> tuple[float, dict, bytes]:
    started = time.perf_counter()
    status, content, headers = connection.send("GET", path, token)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {content[:200]!r}")
    return elapsed, headers, content


def _next_path(headers: dict) -> str:
    url = headers["link"].partition(">")[0].removeprefix("<")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def catalog_benchmark(workdir: Path) -> tuple[list[dict], str]:
    stack = LiveStack(workdir / "catalog", name="catbench")
    try:
        stack.install()
        films, token = stack.shell(
            CREATE_CATALOG.format(films=CATALOG_FILMS), timeout=1800
        ).split()[-2:]
        stack.start_web(workers=GRANIAN_WORKERS)
        connection = Connection(stack.url("").rstrip("/"))
        # A cursor deep in the list: follow pages of 100 for a while.
        deep = "/api/video/?limit=100"
        for _ in range(200):
            _, headers, _ = _timed(connection, token, deep)
            deep = _next_path(headers)
        deep = deep.replace("limit=100", "limit=20")
        kinds = {
            "first page (limit=20)": "/api/video/?limit=20",
            "page 1,001 (cursor, limit=20)": deep,
            "search, common word (limit=20)": "/api/video/?q=harbour&limit=20",
            "search, rare word (limit=20)": "/api/video/?q=lighthouse&limit=20",
            "search, two words (limit=20)": f"/api/video/?q={quote('harbour w17')}&limit=20",
            "category page (limit=20)": "/api/video/?category=drama&limit=20",
            "categories with counts": "/api/categories/",
        }
        load_before = machine_load()
        timings: dict[str, list[float]] = {kind: [] for kind in kinds}
        totals: dict[str, str] = {}
        for _ in range(CATALOG_SAMPLES):  # interleaved: machine noise spreads over all kinds
            for kind, path in kinds.items():
                elapsed, headers, _ = _timed(connection, token, path)
                timings[kind].append(elapsed)
                totals[kind] = headers.get("x-total-count", "-")
        rows = [
            {
                "kind": kind,
                "total": totals[kind],
                "p50": _percentile(values, 0.5),
                "p99": _percentile(values, 0.99),
            }
            for kind, values in timings.items()
        ]
        for row in rows:
            print(f"{row['kind']}: p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms", flush=True)
        return rows, f"{films} films; load {load_before} -> {machine_load()}"
    finally:
        stack.close()


# --- report ---------------------------------------------------------------------------------


def markdown(progress: list[dict], catalog: list[dict], catalog_note: str, seconds: float) -> str:
    lines = [
        "## Viewing: watch progress and catalog search (`benchmarks/viewing.py`)",
        "",
        f"Production setup on this machine ({os.cpu_count()} cores, shared with other work: "
        "the load average is given with each table): Granian with "
        f"{GRANIAN_WORKERS} workers, `DEBUG=false`, PostgreSQL, Redis, over loopback, Bearer "
        "tokens. The client shares the cores with the server.",
        "",
        "Reproduce: `DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python "
        "benchmarks/viewing.py --viewers 1000,2000,3000,4000 --seconds 30 --write-readme`.",
    ]
    if progress:
        lines += [
            "",
            "### Watch progress: PUT /api/video/<id>/progress/, one report per viewer every 10 s",
            "",
            f"Open loop: each viewer's reports are due every {REPORT_EVERY:.0f} s, the viewers "
            f"spread evenly; latency counts from the moment a report was due; {seconds:.0f} s "
            f"measured after a {REPORT_EVERY:.0f} s warm-up; {FILMS_FOR_PROGRESS} films, "
            f"{CLIENT_PROCESSES} x {CONNECTIONS_PER_PROCESS} keep-alive connections. Achieved: "
            "the reports due in the window over the time until the last was answered. Web CPU: "
            "user + system time of the Granian processes over the window, per report.",
            "",
            "| viewers | target writes/s | achieved writes/s | p50 ms | p99 ms | max ms "
            "| from sending p50 / p99 ms | web CPU ms per report | errors "
            "| load average (1/5/15 min) before -> after |",
            "|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
        ]
        lines += [
            f"| {row['viewers']:,} | {row['target_rate']:.0f} | {row['rate']:.0f} | "
            f"{row['p50']:.1f} | {row['p99']:.1f} | {row['max']:.0f} | "
            f"{row['service_p50']:.1f} / {row['service_p99']:.1f} | {row['cpu_ms']:.2f} | "
            f"{row['errors']} | {row['load']} |"
            for row in progress
        ]
    if catalog:
        lines += [
            "",
            "### Catalog search and paging over 100,000 films",
            "",
            f"{catalog_note}; about 95 % published; one request after another on one "
            f"connection, the kinds interleaved, {CATALOG_SAMPLES} of each. Every paged answer "
            "costs two queries (the total and the page), the categories one.",
            "",
            "| request | X-Total-Count | p50 ms | p99 ms |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {row['kind']} | {row['total']} | {row['p50']:.1f} | {row['p99']:.1f} |"
            for row in catalog
        ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    write_section(BEGIN, END, section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="1000,2000,3000", help="comma-separated counts")
    parser.add_argument("--seconds", type=float, default=40, help="measured time per count")
    parser.add_argument("--only", choices=("progress", "catalog"), help="run one part")
    parser.add_argument("--write-readme", action="store_true", help="update benchmarks/README.md")
    options = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        print(
            "Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark runs the production setup."
        )
        return 2
    counts = [int(part) for part in options.viewers.split(",")]
    progress, catalog, note = [], [], ""
    with tempfile.TemporaryDirectory(prefix="videoflix-viewing-") as folder:
        if options.only != "catalog":
            progress = progress_benchmark(Path(folder), counts, options.seconds)
        if options.only != "progress":
            catalog, note = catalog_benchmark(Path(folder))
    section = markdown(progress, catalog, note, options.seconds)
    print(section)
    if options.write_readme:
        write_readme(section)
    return 1 if any(row["errors"] for row in progress) else 0


if __name__ == "__main__":
    sys.exit(main())
