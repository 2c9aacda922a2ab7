"""Media playlist with signed URLs (MEDIA_STORAGE=s3): time to answer, p50 and p99.

    python benchmarks/playlist_signing.py [--rounds 15] [--requests 20]

A real S3 server (SeaweedFS, tests/s3server.py) holds each film's media playlist under a
version prefix, as the worker publishes it; the films are playlists only (10 s: 2 segments,
2 hours: 1,200 six-second segments), no video is encoded. Each request goes through the whole
route in-process (Django's test client: middleware, JWT cookie auth, the access rule, the
rung rule, reading the playlist, signing every segment URI), a fresh response each time (no
If-None-Match). Side by side, interleaved round by round:

- ours: the route in s3 mode, signed with catalog/presign.py;
- local: the same route in local mode (relative URIs, today's behaviour), the same playlist;
- boto3: only the signing of the same URIs with boto3's generate_presigned_url (no route),
  what the route would cost without a presigner of our own.

The target: the 2-hour film's playlist in at most 30 ms median.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.pop("DATABASE_URL", None)  # a throwaway SQLite database of this run's own
os.environ.pop("REDIS_URL", None)
os.environ["DEBUG"] = "false"  # as served: no query log
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["STATIC_ROOT"] = tempfile.mkdtemp(prefix="playlist-signing-static-")

FILMS = {"10 s film": 10, "2 h film": 2 * 3600}
SEGMENT_SECONDS = 6
RUNG = "720p"


def media_playlist(seconds: int) -> bytes:
    """What ffmpeg writes for a VOD rung of this length."""
    count = -(-seconds // SEGMENT_SECONDS)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for index in range(count):
        last = seconds - index * SEGMENT_SECONDS
        lines += [f"#EXTINF:{min(SEGMENT_SECONDS, last):.6f},", f"segment{index:04d}.ts"]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=20, help="per contender and round")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings
    from ninja_jwt.tokens import AccessToken

    from accounts.models import User
    from catalog.models import Video, VideoStatus
    from catalog.storage import version_prefix
    from tests.s3server import S3Server

    work = Path(tempfile.mkdtemp(prefix="playlist-signing-"))
    call_command("migrate", verbosity=0)
    with S3Server.start(work / "s3") as server:
        client = server.client()
        client.create_bucket(Bucket="bench")
        s3 = {
            "MEDIA_STORAGE": "s3",
            "S3_ENDPOINT_URL": server.endpoint_url,
            "S3_BUCKET": "bench",
            "S3_REGION": server.region,
            "S3_ACCESS_KEY_ID": server.access_key,
            "S3_SECRET_ACCESS_KEY": server.secret_key,
            "STORAGES": {
                **settings.STORAGES,
                "default": {
                    "BACKEND": "storages.backends.s3.S3Storage",
                    "OPTIONS": {
                        "bucket_name": "bench",
                        "endpoint_url": server.endpoint_url,
                        "region_name": server.region,
                        "access_key": server.access_key,
                        "secret_key": server.secret_key,
                        "default_acl": None,
                        "signature_version": "s3v4",
                        "addressing_style": "path",
                    },
                },
            },
        }
        local = {"MEDIA_STORAGE": "local", "MEDIA_ROOT": work / "media"}
        viewer = User.objects.create_user(email="viewer@example.com", is_active=True)
        browser = Client(HTTP_HOST="127.0.0.1")
        browser.cookies[settings.AUTH_COOKIE_ACCESS] = str(AccessToken.for_user(viewer))

        routes = {}
        for film, seconds in FILMS.items():
            playlist = media_playlist(seconds)
            version = f"{time.time_ns():016x}00000000"
            video = Video.objects.create(
                title=film,
                original="originals/none.mp4",
                status=VideoStatus.READY,
                is_published=True,
                renditions=[RUNG],
                output_version=version,
            )
            key = f"{version_prefix(video.pk, version)}{RUNG}/index.m3u8"
            client.put_object(Bucket="bench", Key=key, Body=playlist)
            folder = work / "media" / "hls" / str(video.pk) / RUNG
            folder.mkdir(parents=True)
            (folder / "index.m3u8").write_bytes(playlist)
            routes[film] = (f"/api/video/{video.pk}/{RUNG}/index.m3u8", video.pk, version, playlist)

        def request(path: str) -> float:
            started, cpu = time.perf_counter(), time.thread_time()
            response = browser.get(path)
            elapsed = time.perf_counter() - started
            if current[0]:
                cpu_samples[current[0]].append(time.thread_time() - cpu)
            assert response.status_code == 200, response.status_code
            return elapsed

        # CPU time of the request's own thread: what the wall time would be on an idle core.
        cpu_samples = {(film, who): [] for film in FILMS for who in ("ours", "local")}
        current = [None]

        def boto3_signing(video_id: int, version: str, playlist: bytes) -> float:
            prefix = f"{version_prefix(video_id, version)}{RUNG}/"
            names = [line for line in playlist.decode().splitlines() if line.endswith(".ts")]
            started = time.perf_counter()
            for name in names:
                client.generate_presigned_url(
                    "get_object", Params={"Bucket": "bench", "Key": prefix + name}, ExpiresIn=3600
                )
            return time.perf_counter() - started

        samples = {(film, who): [] for film in FILMS for who in ("ours", "local", "boto3")}
        for round_number in range(args.rounds):
            order = ["ours", "local", "boto3"]
            if round_number % 2:
                order.reverse()
            for film, (path, video_id, version, playlist) in routes.items():
                for who in order:
                    if who == "boto3":
                        # Fewer: each takes a second or so; the median needs no more.
                        samples[film, who].append(boto3_signing(video_id, version, playlist))
                        continue
                    with override_settings(**(s3 if who == "ours" else local)):
                        caches["hot"].clear()
                        current[0] = None
                        request(path)  # the first read fills the playlist cache; not counted
                        current[0] = (film, who)
                        samples[film, who] += [request(path) for _ in range(args.requests)]

    load = os.getloadavg()
    print(
        f"{platform.node()}: {os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}, "
        f"{args.rounds} rounds x {args.requests} requests, python {platform.python_version()}"
    )
    print("| film | contender | p50 ms | p99 ms | CPU p50 ms | samples | p50 vs local |")
    print("|---|---|---|---|---|---|---|")
    for film in FILMS:
        base = statistics.median(samples[film, "local"])
        for who in ("ours", "local", "boto3"):
            values = samples[film, who]
            p50 = statistics.median(values)
            cpu = cpu_samples.get((film, who))
            cpu_p50 = f"{statistics.median(cpu) * 1000:.2f}" if cpu else "-"
            print(
                f"| {film} | {who} | {p50 * 1000:.2f} | {percentile(values, 0.99) * 1000:.2f} "
                f"| {cpu_p50} | {len(values)} | {p50 / base:.2f}x |"
            )


if __name__ == "__main__":
    main()
