"""With MEDIA_STORAGE=s3, compose's one-shot `setup` also prepares the bucket (storage_setup), and
a store it cannot use stops it with one sentence, as any other failed start step does."""

import pytest

from tests.deploy.test_entrypoint import container, stopped_with_one_sentence  # noqa: F401
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, unique_bucket_name
from tests.storage.stacks import FreezingProxy
from tests.support import free_port

pytestmark = pytest.mark.slow  # every test starts the entrypoint's processes


def s3_env(endpoint_url: str, bucket: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": endpoint_url,
        "S3_BUCKET": bucket,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


def test_setup_creates_the_bucket_and_is_safe_to_repeat(container, s3_server):  # noqa: F811
    bucket = unique_bucket_name("vf-setup")
    env = s3_env(s3_server.endpoint_url, bucket)

    first = container.start("setup", **env)
    assert first.returncode == 0, first.stderr
    assert f"Bucket {bucket!r} created" in first.stdout
    assert s3_server.client().get_bucket_cors(Bucket=bucket)["CORSRules"]

    again = container.start("setup", **env)
    assert again.returncode == 0, again.stderr
    assert f"Bucket {bucket!r} exists." in again.stdout
    assert "CORS rules unchanged." in again.stdout


def test_setup_stops_with_one_sentence_when_the_store_is_unreachable(container):  # noqa: F811
    """After waiting SETUP_WAIT_SECONDS for it, as for the database."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    started = container.start("setup", SETUP_WAIT_SECONDS="2", **s3_env(endpoint, "films"))
    assert f"The object store at {endpoint} is unreachable" in stopped_with_one_sentence(started)
    assert started.stdout.startswith(f"Waiting for the object store at {endpoint} ...")


def test_setup_waits_for_an_object_store_that_starts_after_it(container, s3_server):  # noqa: F811
    """podman-compose starts setup without waiting for the store's health check: setup waits
    for the store to answer (SETUP_WAIT_SECONDS) instead of stopping at once."""
    bucket = unique_bucket_name("vf-late")
    port = free_port()
    waiting = container.spawn(
        "setup", SETUP_WAIT_SECONDS="600", **s3_env(f"http://127.0.0.1:{port}", bucket)
    )
    assert waiting.stdout.readline().startswith("Waiting for the object store at ")

    store = FreezingProxy(s3_server.endpoint_url, bucket, port=port)  # the store comes up
    try:
        stdout, stderr = waiting.communicate(timeout=600)
    finally:
        store.close()

    assert waiting.returncode == 0, stderr
    assert f"Bucket {bucket!r} created" in stdout
    assert s3_server.client().get_bucket_cors(Bucket=bucket)["CORSRules"]
