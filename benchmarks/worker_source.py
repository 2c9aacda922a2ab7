"""How a worker should read the original from the bucket: a copy on scratch, or ffmpeg reading
a presigned URL. Real S3 server (SeaweedFS), a generated film, side by side, interleaved.

    python benchmarks/worker_source.py [--seconds 60] [--rounds 3]

Both contenders do what a transcode does to its source before and while encoding: ffprobe
it, then read it whole twice (the loudness measurement pass and the encode; modelled as
decodes to `-f null`, so the encoder's cost, the same on both sides, stays out). The film is
an MP4 as cameras and editors write it, its index (`moov`) after the media, which makes a
reader over HTTP seek to the end and back.

- copy: download to scratch once (boto3, as catalog.storage does), then the three reads local;
- url: the three reads over a presigned URL, ffmpeg's HTTP client with range requests.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.media import generate_video  # noqa: E402
from tests.s3server import S3Server  # noqa: E402

FFMPEG = ["ffmpeg", "-v", "error", "-nostdin", "-i", "{source}"]
READS = [
    ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json"],
    [*FFMPEG, "-vn", "-af", "ebur128", "-f", "null", "-"],
    [*FFMPEG, "-f", "null", "-"],
]


def read_source(source: str) -> None:
    for argv in READS:
        command = [part.replace("{source}", source) for part in argv]
        if command[0] == "ffprobe":
            command.append(source)
        subprocess.run(command, check=True, capture_output=True, timeout=1800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="worker-source-"))
    film = generate_video(
        work / "film.mp4",
        seconds=args.seconds,
        width=1280,
        height=720,
        video_args=("-c:v", "libx264", "-preset", "veryfast", "-b:v", "6M", "-pix_fmt", "yuv420p"),
    )
    size = film.stat().st_size
    with S3Server.start(work / "s3") as server:
        client = server.client()
        client.create_bucket(Bucket="bench")
        client.upload_file(str(film), "bench", "originals/film.mp4")

        def copy() -> None:
            target = work / "scratch.mp4"
            client.download_file("bench", "originals/film.mp4", str(target))
            read_source(str(target))
            target.unlink()

        def url() -> None:
            signed = client.generate_presigned_url(
                "get_object",
                Params={"Bucket": "bench", "Key": "originals/film.mp4"},
                ExpiresIn=3600,
            )
            read_source(signed)

        times = {"copy": [], "url": []}
        for round_number in range(args.rounds):
            order = [("copy", copy), ("url", url)]
            if round_number % 2:
                order.reverse()
            for name, contender in order:
                started = time.perf_counter()
                contender()
                times[name].append(time.perf_counter() - started)

    print(f"{args.seconds} s 1280x720 film, {size / 1e6:.1f} MB, {args.rounds} rounds, interleaved")
    print("| contender | median s | min s | vs copy |")
    print("|---|---|---|---|")
    base = statistics.median(times["copy"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {min(values):.2f} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
