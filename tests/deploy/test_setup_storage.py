"""With MEDIA_STORAGE=s3, compose's one-shot `setup` also prepares the bucket (storage_setup), and
a store it cannot use stops it with one sentence, as any other failed start step does."""

import uuid

import pytest

from tests.deploy.test_entrypoint import container, stopped_with_one_sentence  # noqa: F401
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY
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
    bucket = f"vf-setup-{uuid.uuid4().hex[:12]}"
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
    endpoint = f"http://127.0.0.1:{free_port()}"
    started = container.start("setup", **s3_env(endpoint, "films"))
    assert f"The object store at {endpoint} is unreachable" in stopped_with_one_sentence(started)
