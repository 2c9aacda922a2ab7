"""Segment and playlist delivery: nginx static vs the app under Granian vs X-Accel-Redirect.

One run, on loopback, side by side, in interleaved rounds (the machine is shared):

  nginx       Debian's nginx serving the segment file statically (sendfile)
  app         Videoflix under Granian (DEBUG off), authenticated by the access cookie:
              every request through Django's middleware, URL resolution and Ninja,
              FileResponse in 64 KB blocks
  x-accel     the same app with STREAMING_X_ACCEL=true behind nginx configured from
              deploy/nginx/templates/default.conf.template: Django authorizes, nginx sends

Each target is loaded with `wrk -t2 -c32 -d<duration>s --timeout 30s --latency` for the
segment and for the media playlist. Every response must be 2xx (a 401/404 would fake speed).

    .venv/bin/python benchmarks/segment_delivery.py [--rounds 5] [--duration 10] [--readme]
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python benchmarks/...

Without DATABASE_URL the app uses a SQLite file in the work folder; REDIS_URL switches the
stream-info cache to Redis. The work folder (benchmarks/work/segment_delivery) keeps the
transcoded media between runs.
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.nginx import (  # noqa: E402 - after the path setup above
    free_port,
    running_nginx,
    stop,
    videoflix_site,
    wait_for_port,
)
from benchmarks.readme import write_section  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "segment_delivery"
LINK_SECRET = secrets.token_urlsafe(32)
# Targets whose segment URL is not the plain name (filled in once the servers run).
SEGMENT_NAMES: dict[str, str] = {}
RUNG = "480p"
SEGMENT = "segment000.ts"
SEGMENT_TARGETS = ["nginx", "x-accel", "x-accel-unsigned", "app"]
PLAYLIST_TARGETS = ["nginx", "app", "x-accel"]
TARGET_NAMES = {
    "nginx": "nginx 1.22 static (sendfile)",
    "app": "app (Granian WSGI), cookie auth, Django's middleware and Ninja, 64 KB blocks",
    "x-accel": "behind nginx: signed link from the playlist (nginx checks it)",
    "x-accel-unsigned": "behind nginx: plain link (nginx asks Django, cached 10 s)",
}
# Playlists always come from Django, which builds (and behind nginx signs) them.
PLAYLIST_NAMES = {
    "nginx": TARGET_NAMES["nginx"],
    "app": "app (Granian WSGI), cookie auth",
    "x-accel": "behind nginx (proxied to Django, which signs the links)",
}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    bytes_per_second: float
    p50_ms: float
    p99_ms: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Granian worker processes")
    parser.add_argument("--threads", type=int, default=2, help="Granian blocking threads")
    parser.add_argument("--nginx-workers", type=int, default=2)
    parser.add_argument(
        "--block-sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        default=[],
        help="also serve segments with these FileResponse block sizes (bytes, comma-separated)",
    )
    parser.add_argument("--readme", action="store_true", help="write the table into README")
    return parser.parse_args()


def transcoded_media() -> Path:
    """A real ladder from `transcoding` (480p + 720p, 6 s segments), made once and kept."""
    ladder_dir = WORK / "ladder"
    if (ladder_dir / RUNG / SEGMENT).exists():
        return ladder_dir
    from transcoding import DEFAULT_LADDER, transcode

    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / "source.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=12",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=12",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)],
        check=True,
    )  # fmt: skip
    transcode(source, ladder_dir, ladder=DEFAULT_LADDER.select(["480p", "720p"]))
    return ladder_dir


def app_environment(media_root: Path) -> dict[str, str]:
    secret = secrets.token_urlsafe(50)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "videoflix.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback; TLS would sit in front of nginx.
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(media_root),
        "VAR_DIR": str(WORK / "var"),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{WORK / 'var' / 'videoflix.sqlite3'}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "JWT_ACCESS_LIFETIME_SECONDS": str(24 * 3600),
        "LOG_LEVEL": "ERROR",
    }


def prepare_catalog(environment: dict[str, str], ladder_dir: Path) -> tuple[int, str]:
    """Migrate, create a viewer and a ready published video; return (video id, token)."""
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command
    from ninja_jwt.tokens import AccessToken

    from accounts.models import User
    from catalog.models import Video, VideoStatus

    call_command("migrate", verbosity=0)
    viewer, _ = User.objects.get_or_create(
        email="bench@videoflix.local", defaults={"is_active": True}
    )
    video = Video.objects.create(
        title="Segment delivery benchmark",
        original="originals/bench.mp4",
        status=VideoStatus.READY,
        is_published=True,
        renditions=["480p", "720p"],
    )
    shutil.copytree(ladder_dir, video.hls_dir)
    return video.pk, str(AccessToken.for_user(viewer))


@contextmanager
def granian(
    environment: dict[str, str], port: int, args, app: str = "videoflix.wsgi:application"
) -> Iterator[None]:
    log = WORK / "run" / f"granian-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "granian", "--interface", "wsgi",
                "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(args.workers), "--blocking-threads", str(args.threads),
                "--no-ws", "--log-level", "warning", app,
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        try:
            wait_for_port(port, process=process)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"Granian did not start:\n{log.read_text()[-3000:]}") from error
        yield
    finally:
        stop(process, grace=15)


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_DURATION_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _bytes(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([KMGT]?)B?", text).groups()
    return float(number) * _UNITS[unit]


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _DURATION_UNITS[unit]


def run_wrk(url: str, *, cookie: str | None, duration: int, connections: int) -> WrkResult:
    # wrk's default 2 s timeout counts a slow answer as a socket error, and at a load average
    # of 20-30 on the shared 2 cores Django's answers can take that long: wait, then judge.
    argv = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "--latency",
        url,
    ]
    if cookie:
        argv[1:1] = ["-H", f"Cookie: access_token={cookie}"]
    output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed requests on {url}:\n{output}")
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        bytes_per_second=_bytes(re.search(r"Transfer/sec:\s+(\S+)", output).group(1)),
        p50_ms=_milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        p99_ms=_milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
    )


def fetch_body(url: str, cookie: str | None) -> bytes:
    argv = ["curl", "-sS", "--fail", "--max-time", "10", url]
    if cookie:
        argv[1:1] = ["-H", f"Cookie: access_token={cookie}"]
    return subprocess.run(argv, check=True, capture_output=True).stdout


def main() -> None:
    args = parse_args()
    ladder_dir = transcoded_media()
    if WORK.joinpath("run").exists():
        shutil.rmtree(WORK / "run")
    media_root = WORK / "run" / "media"
    media_root.mkdir(parents=True)
    environment = app_environment(media_root)
    video_id, token = prepare_catalog(environment, ladder_dir)

    segment_file = media_root / "hls" / str(video_id) / RUNG / SEGMENT
    ports = {name: free_port() for name in ("static", "proxy", "app", "accel")}
    static_site = f"""
    server {{
        listen 127.0.0.1:{ports["static"]};
        root {media_root};
        sendfile on;
        tcp_nopush on;
        types {{ video/MP2T ts; application/vnd.apple.mpegurl m3u8; }}
    }}
"""
    api_path = f"/api/video/{video_id}/{RUNG}"
    urls = {
        "nginx": (f"http://127.0.0.1:{ports['static']}/hls/{video_id}/{RUNG}", None),
        "app": (f"http://127.0.0.1:{ports['app']}{api_path}", token),
        "x-accel": (f"http://127.0.0.1:{ports['proxy']}{api_path}", token),
        "x-accel-unsigned": (f"http://127.0.0.1:{ports['proxy']}{api_path}", token),
    }

    with ExitStack() as servers:
        app = {**environment, "STREAMING_X_ACCEL": "false"}
        servers.enter_context(granian(app, ports["app"], args))
        accel = {"STREAMING_X_ACCEL": "true", "STREAMING_SEGMENT_LINK_SECRET": LINK_SECRET}
        servers.enter_context(granian({**environment, **accel}, ports["accel"], args))
        for size in args.block_sizes:
            target, port = f"app-{size // 1024}K", free_port()
            SEGMENT_TARGETS.append(target)
            TARGET_NAMES[target] = f"app with {size // 1024} KB blocks"
            urls[target] = (f"http://127.0.0.1:{port}{api_path}", token)
            servers.enter_context(
                granian(
                    {**app, "BENCH_BLOCK_SIZE": str(size)},
                    port,
                    args,
                    app="benchmarks.block_size_wsgi:application",
                )
            )
        servers.enter_context(
            running_nginx(
                WORK / "run" / "nginx",
                static_site + site(ports["accel"], ports["proxy"]),
                ports=[ports["static"], ports["proxy"]],
                workers=args.nginx_workers,
            )
        )
        # As a player does: the segment URI the media playlist gives (signed behind nginx).
        playlist = fetch_body(f"{urls['x-accel'][0]}/index.m3u8", token).decode()
        SEGMENT_NAMES["x-accel"] = next(
            line for line in playlist.splitlines() if line.startswith(SEGMENT)
        )
        if "&s=" not in SEGMENT_NAMES["x-accel"]:
            raise RuntimeError(f"The playlist behind nginx carries no signed links:\n{playlist}")
        expected = hashlib.sha256(segment_file.read_bytes()).hexdigest()
        for target, (base, cookie) in urls.items():
            segment_url = f"{base}/{SEGMENT_NAMES.get(target, SEGMENT)}"
            if hashlib.sha256(fetch_body(segment_url, cookie)).hexdigest() != expected:
                raise RuntimeError(f"{target} did not send the segment's bytes.")

        load_before = os.getloadavg()[0]
        results = measure(urls, args)
        load_after = os.getloadavg()[0]

    table = render_table(
        results,
        args=args,
        segment_size=segment_file.stat().st_size,
        load=(load_before, load_after),
        database=environment["DATABASE_URL"].split(":")[0],
        cache="Redis" if environment["REDIS_URL"] else "local memory",
    )
    table += "\n\n" + render_costs(per_request_costs(video_id, token))
    print(table)
    (WORK / "results.json").write_text(
        json.dumps({f"{k[0]}/{k[1]}": [r.__dict__ for r in v] for k, v in results.items()})
    )
    if args.readme:
        write_readme(table, database=environment["DATABASE_URL"].split(":")[0])


def site(upstream_port: int, port: int) -> str:
    media_root = WORK / "run" / "media"
    return videoflix_site(
        upstream=f"127.0.0.1:{upstream_port}",
        media_root=media_root,
        port=port,
        auth_cache=WORK / "run" / f"nginx-auth-cache-{port}",
        link_secret=LINK_SECRET,
    )


def measure(urls, args) -> dict[tuple[str, str], list[WrkResult]]:
    """Interleaved rounds: every target once per round, so load drifts hit all alike.

    Every other round runs the targets in reverse order, so no target always follows
    the heavy Python ones (what ran just before moves throughput by 10 % and more here).
    """
    results: dict[tuple[str, str], list[WrkResult]] = {}
    for round_number in range(1, args.rounds + 1):
        for kind, name, targets in (
            ("segment", SEGMENT, SEGMENT_TARGETS),
            ("playlist", "index.m3u8", PLAYLIST_TARGETS),
        ):
            if round_number % 2 == 0:
                targets = targets[::-1]
            for target in targets:
                base, cookie = urls[target]
                if kind == "segment":
                    name = SEGMENT_NAMES.get(target, SEGMENT)
                result = run_wrk(
                    f"{base}/{name}",
                    cookie=cookie,
                    duration=args.duration,
                    connections=args.connections,
                )
                results.setdefault((kind, target), []).append(result)
                print(
                    f"round {round_number} {kind:8} {target:13} "
                    f"{result.requests_per_second:9.0f} req/s "
                    f"{result.bytes_per_second / 1e9:6.2f} GB/s "
                    f"p99 {result.p99_ms:7.2f} ms",
                    flush=True,
                )
    return results


def per_request_costs(video_id: int, token: str) -> list[tuple[str, float]]:
    """Where one segment request's CPU time goes, in this process without network (us).

    CPU time of this thread, best of five batches: what a part costs, not how long it
    waited for a core on the shared machine. The parts overlap: the whole request
    contains the others.
    """
    import io
    import logging
    import time
    import timeit

    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from django.test import RequestFactory
    from ninja_jwt.tokens import AccessToken

    from accounts.auth import jwt_auth
    from catalog.models import Video
    from catalog.outputs import servable_file
    from streaming.selectors import stream_for_viewer

    django_application = get_wsgi_application()
    path = f"/api/video/{video_id}/{RUNG}/{SEGMENT}"
    cookie = f"{settings.AUTH_COOKIE_ACCESS}={token}"

    def through(application, with_token: bool) -> None:
        environ = RequestFactory().get(path, HTTP_HOST="127.0.0.1").environ
        environ["wsgi.input"] = io.BytesIO()
        if with_token:
            environ["HTTP_COOKIE"] = cookie
        statuses = []
        response = application(environ, lambda status, headers: statuses.append(status))
        for _chunk in response:
            pass
        response.close()
        if statuses[0][:3] != ("200" if with_token else "401"):
            raise RuntimeError(f"Unexpected {statuses[0]} for {path}.")

    request = RequestFactory().get(path, HTTP_COOKIE=cookie)
    viewer = jwt_auth(request)
    folder = Video(pk=video_id).hls_dir

    def authenticate() -> None:
        jwt_auth(request)
        close_old_connections()  # what the end of every request does

    parts = [
        ("whole segment request through Django's WSGI handler", lambda: through(
            django_application, True
        )),
        ("the same without a token (401): middleware and Ninja", lambda: through(
            django_application, False
        )),
        ("`jwt_auth`: token check and cached user (connection as per request)", authenticate),
        ("JWT signature and claims check when not yet remembered (once per token)", lambda: (
            AccessToken(token)
        )),
        ("stream facts (`stream_for_viewer`, cache hit)", lambda: stream_for_viewer(
            video_id=video_id, user=viewer
        )),
        ("path check (`servable_file`)", lambda: servable_file(
            Path(settings.MEDIA_ROOT), folder, f"{RUNG}/{SEGMENT}"
        )),
    ]  # fmt: skip
    # The 401s would each log a warning; the breakdown is about the request, not the log.
    logging.disable(logging.WARNING)
    costs = []
    for label, call in parts:
        call()
        best = min(timeit.repeat(call, number=200, repeat=5, timer=time.thread_time)) / 200
        costs.append((label, best * 1e6))
    logging.disable(logging.NOTSET)
    return costs


def render_costs(costs: list[tuple[str, float]]) -> str:
    lines = ["| per-request CPU cost, in-process (best of 5 batches) | us |", "|---|---|"]
    lines += [f"| {label} | {micros:,.0f} |" for label, micros in costs]
    return "\n".join(lines)


def render_table(results, *, args, segment_size, load, database, cache) -> str:
    def median(kind, target, field):
        return statistics.median(getattr(r, field) for r in results[(kind, target)])

    def ratio(kind, target, field):
        """Median of the per-round ratios to nginx in the same round."""
        pairs = zip(results[(kind, target)], results[(kind, "nginx")], strict=True)
        return statistics.median(getattr(a, field) / getattr(b, field) for a, b in pairs)

    def spread(kind, target, field):
        values = [getattr(r, field) for r in results[(kind, target)]]
        return min(values), max(values)

    lines = [
        f"Segment: a real {segment_size / 1e6:.2f} MB {RUNG} segment from `transcoding`; "
        f"`wrk -t2 -c{args.connections} -d{args.duration}s --timeout 30s --latency`; {args.rounds} "
        f"interleaved rounds; medians, with ratios taken per round against nginx. "
        f"Granian: {args.workers} workers x {args.threads} blocking threads; nginx: "
        f"{args.nginx_workers} workers; DEBUG=false, {database}, {cache} cache. "
        f"Load average before/after: {load[0]:.2f} / {load[1]:.2f} (2 cores, shared).",
        "",
        "| segment delivery | req/s | bytes/s | vs nginx (bytes/s) | range over rounds | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for target in SEGMENT_TARGETS:
        low, high = spread("segment", target, "bytes_per_second")
        lines.append(
            f"| {TARGET_NAMES[target]} | {median('segment', target, 'requests_per_second'):,.0f} "
            f"| {median('segment', target, 'bytes_per_second') / 1e9:.2f} GB/s "
            f"| {ratio('segment', target, 'bytes_per_second'):.2f} "
            f"| {low / 1e9:.2f}-{high / 1e9:.2f} GB/s "
            f"| {median('segment', target, 'p99_ms'):.1f} ms |"
        )
    lines += [
        "",
        "| playlist (`index.m3u8`) | req/s | vs nginx | p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for target in PLAYLIST_TARGETS:
        lines.append(
            f"| {PLAYLIST_NAMES[target]} "
            f"| {median('playlist', target, 'requests_per_second'):,.0f} "
            f"| {ratio('playlist', target, 'requests_per_second'):.2f} "
            f"| {median('playlist', target, 'p50_ms'):.2f} ms "
            f"| {median('playlist', target, 'p99_ms'):.2f} ms |"
        )
    return "\n".join(lines)


def write_readme(table: str, *, database: str) -> None:
    """Replace this database's table between its markers in README.md (or append it)."""
    write_section(
        f"<!-- segment-delivery:{database}:start -->",
        f"<!-- segment-delivery:{database}:end -->",
        table,
    )


if __name__ == "__main__":
    main()
