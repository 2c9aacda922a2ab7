"""What subtitle tracks cost the streaming routes: the master playlist with tracks (read and
rewritten in memory) against the file as the transcode wrote it, and the two subtitle routes.

    .venv/bin/python benchmarks/subtitle_delivery.py [--rounds 5] [--requests 300] [--readme]
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python benchmarks/...

In-process, through Django's WSGI handler as Granian calls it (`DEBUG=false`, the access
cookie, every middleware), so the numbers are the app's own work without a network: per
request thread CPU time (no waiting for a core counts) and wall time. Targets run in
interleaved rounds, every other round in reverse order; ratios are taken per round against
the master playlist without tracks (today's path, a file response), then the median. The
master playlist matters most: behind nginx, every viewer's first segment without a signed
link asks Django for it (deploy/nginx), so it must stay cheap with tracks too.
"""

import argparse
import io
import logging
import os
import secrets
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.readme import write_section  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "subtitle_delivery"
START_MARKER = "<!-- subtitle-delivery:start -->"
END_MARKER = "<!-- subtitle-delivery:end -->"
LANGUAGES = ("en", "de", "pt-BR")
CUES = 1500  # a feature film's worth: about 100 KB of WebVTT


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="per target and round")
    parser.add_argument("--readme", action="store_true", help="write the table into README")
    return parser.parse_args()


def environment() -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "videoflix.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(WORK / "media"),
        "VAR_DIR": str(WORK / "var"),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{WORK / 'var' / 'videoflix.sqlite3'}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "LOG_LEVEL": "ERROR",
    }


def ladder_output() -> Path:
    """A real two-rung transcode of a generated clip, kept between runs."""
    from tests.media import generate_video
    from transcoding import DEFAULT_LADDER, transcode

    output = WORK / "ladder"
    if (output / "master.m3u8").exists():
        return output
    WORK.mkdir(parents=True, exist_ok=True)
    source = generate_video(WORK / "source.mp4", seconds=12, width=854, height=480)
    ladder = replace(DEFAULT_LADDER.select(["360p", "480p"]), preset="ultrafast")
    transcode(source, output, ladder=ladder)
    return output


def film_webvtt() -> bytes:
    cues = [
        f"{n}\n00:{n // 60 % 60:02d}:{n % 60:02d},000 --> 00:{n // 60 % 60:02d}:{n % 60:02d},900\n"
        f"Line {n} of a film's dialogue, <i>as said</i>.\n"
        for n in range(1, CUES + 1)
    ]
    return "\n".join(cues).encode()


def prepare() -> tuple[dict[str, str], str]:
    """Migrate; a viewer, a film without tracks and the same film with three. Returns the
    targets (name -> path) and the viewer's cookie."""
    import shutil

    os.environ.update(environment())
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from ninja_jwt.tokens import AccessToken

    from accounts.models import User
    from catalog.models import Video, VideoStatus
    from catalog.subtitles import subtitle_create

    output = ladder_output()
    call_command("migrate", verbosity=0)
    viewer, _ = User.objects.get_or_create(
        email="bench@videoflix.local", defaults={"is_active": True}
    )
    films = []
    for title in ("without tracks", "with tracks"):
        video = Video.objects.create(
            title=title,
            original="originals/bench.mp4",
            status=VideoStatus.READY,
            is_published=True,
            renditions=["360p", "480p"],
            duration=12.0,
        )
        shutil.rmtree(video.hls_dir, ignore_errors=True)
        shutil.copytree(output, video.hls_dir)
        films.append(video.pk)
    vtt = film_webvtt()
    for language in LANGUAGES:
        subtitle_create(
            video=Video.objects.get(pk=films[1]),
            language=language,
            file=SimpleUploadedFile("film.srt", vtt),
        )
    plain, subtitled = films
    targets = {
        "master playlist, no tracks (the file)": f"/api/video/{plain}/master.m3u8",
        "master playlist, 3 tracks (rewritten)": f"/api/video/{subtitled}/master.m3u8",
        "subtitle media playlist (.m3u8)": f"/api/video/{subtitled}/subtitles/en.m3u8",
        f"subtitle WebVTT, {CUES} cues (.vtt)": f"/api/video/{subtitled}/subtitles/en.vtt",
        "rung media playlist (for comparison)": f"/api/video/{plain}/360p/index.m3u8",
    }
    cookie = f"{settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(viewer)}"
    return targets, cookie


def measure(targets: dict[str, str], cookie: str, *, rounds: int, requests: int) -> dict:
    """name -> list over rounds of (mean CPU s per request, [wall s per request])."""
    from django.core.wsgi import get_wsgi_application
    from django.test import RequestFactory

    application = get_wsgi_application()

    def once(path: str) -> int:
        environ = RequestFactory().get(path, HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie).environ
        environ["wsgi.input"] = io.BytesIO()
        statuses = []
        response = application(environ, lambda status, headers: statuses.append(status))
        size = sum(len(chunk) for chunk in response)
        response.close()
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"Unexpected {statuses[0]} for {path}.")
        return size

    sizes = {name: once(path) for name, path in targets.items()}  # warm up, check answers
    results = {name: [] for name in targets}
    names = list(targets)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            walls = []
            cpu_started = time.thread_time()
            for _ in range(requests):
                started = time.perf_counter()
                once(targets[name])
                walls.append(time.perf_counter() - started)
            results[name].append(((time.thread_time() - cpu_started) / requests, walls))
    return {"results": results, "sizes": sizes, "lookup": lookup_cost(targets)}


def lookup_cost(targets: dict[str, str]) -> float:
    """CPU seconds of what every master request now adds for a film without tracks: the
    cached track-list lookup (best of 5 batches of 1000)."""
    import timeit

    from catalog.streaminfo import stream_info
    from catalog.subtitles import subtitle_tracks

    video_id = int(next(iter(targets.values())).split("/")[3])
    info = stream_info(video_id)
    subtitle_tracks(info)
    batches = timeit.repeat(
        lambda: subtitle_tracks(info), number=1000, repeat=5, timer=time.thread_time
    )
    return min(batches) / 1000


def render(measured: dict, *, args, load: tuple[float, float], database: str, cache: str) -> str:
    results, sizes = measured["results"], measured["sizes"]
    base = next(iter(results))
    lines = [
        f"In-process through Django's WSGI handler (DEBUG=false, access cookie), {args.rounds} "
        f"interleaved rounds of {args.requests} requests per target; {database}, {cache}. "
        f"Load average before/after: {load[0]:.2f} / {load[1]:.2f} (2 cores, shared). "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| route | bytes | CPU per request (median of rounds) | vs master without tracks "
        "| wall p50 | wall p99 |",
        "|---|---|---|---|---|---|",
    ]
    for name, rounds in results.items():
        cpu = statistics.median(mean for mean, _ in rounds)
        ratio = statistics.median(
            mean / reference
            for (mean, _), (reference, _) in zip(rounds, results[base], strict=True)
        )
        walls = sorted(wall for _, round_walls in rounds for wall in round_walls)
        p50, p99 = walls[len(walls) // 2], walls[int(len(walls) * 0.99)]
        lines.append(
            f"| {name} | {sizes[name]:,} | {cpu * 1e6:,.0f} us | {ratio:.2f} "
            f"| {p50 * 1e3:.2f} ms | {p99 * 1e3:.2f} ms |"
        )
    lines += [
        "",
        f"The cached track-list lookup every master request now makes (a film without tracks "
        f"included): {measured['lookup'] * 1e6:.1f} us of CPU (best of 5 x 1000).",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    targets, cookie = prepare()
    logging.disable(logging.WARNING)
    before = os.getloadavg()[0]
    measured = measure(targets, cookie, rounds=args.rounds, requests=args.requests)
    after = os.getloadavg()[0]
    from django.conf import settings

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache = "Redis cache" if os.environ.get("REDIS_URL") else "local-memory cache"
    table = render(measured, args=args, load=(before, after), database=database, cache=cache)
    print(table)
    if args.readme:
        write_section(START_MARKER, END_MARKER, table)


if __name__ == "__main__":
    main()
