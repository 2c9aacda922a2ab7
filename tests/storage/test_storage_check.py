"""`manage.py check` says in one sentence when the object store cannot be used (MEDIA_STORAGE=s3),
against the real SeaweedFS of the session; in local mode it never asks the network."""

import os
import subprocess
import sys

import pytest

from tests.storage.store_settings import reconfigure_store, store_environment
from tests.support import ROOT, free_port
from videoflix.checks import check_object_store


def only_error(errors) -> str:
    assert len(errors) == 1, errors
    assert errors[0].id == "videoflix.E001"
    message = errors[0].msg
    # One sentence an operator reads in a log: no trace, no second line.
    assert "\n" not in message
    assert "Traceback" not in message
    assert message.endswith(".")
    return message


def test_a_reachable_bucket_with_our_credentials_passes(s3_media):
    assert check_object_store(None) == []


def test_local_mode_never_asks_the_store(settings, s3_media):
    reconfigure_store(settings, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    settings.MEDIA_STORAGE = "local"
    assert check_object_store(None) == []


def test_a_wrong_secret_is_named(s3_media, settings):
    reconfigure_store(settings, S3_SECRET_ACCESS_KEY="not-the-secret")
    message = only_error(check_object_store(None))
    assert "refused our credentials (SignatureDoesNotMatch)" in message
    assert "S3_SECRET_ACCESS_KEY" in message


def test_an_unknown_access_key_is_named(s3_media, settings):
    reconfigure_store(settings, S3_ACCESS_KEY_ID="nobody-knows-me")
    message = only_error(check_object_store(None))
    assert "refused our credentials (InvalidAccessKeyId)" in message
    assert "S3_ACCESS_KEY_ID" in message


def test_an_unreachable_store_is_named(s3_media, settings):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    reconfigure_store(settings, S3_ENDPOINT_URL=endpoint)
    message = only_error(check_object_store(None))
    assert f"The object store at {endpoint} is unreachable" in message
    assert "S3_ENDPOINT_URL" in message


def test_an_endpoint_that_is_no_url_is_named(s3_media, settings):
    reconfigure_store(settings, S3_ENDPOINT_URL="minio:9000")
    assert "S3_ENDPOINT_URL 'minio:9000' is not a URL" in only_error(check_object_store(None))


def test_a_missing_bucket_points_at_storage_setup(s3_media, settings):
    reconfigure_store(settings, S3_BUCKET="never-created-bucket")
    message = only_error(check_object_store(None))
    assert "The bucket 'never-created-bucket' does not exist" in message
    assert "manage.py storage_setup" in message


def manage_check(settings) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, **store_environment(settings)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_manage_py_check_prints_the_sentence_and_fails(s3_media, settings):
    assert manage_check(settings).returncode == 0

    reconfigure_store(settings, S3_SECRET_ACCESS_KEY="not-the-secret")
    result = manage_check(settings)
    assert result.returncode == 1
    assert "(videoflix.E001) The object store at" in result.stderr
    assert "refused our credentials (SignatureDoesNotMatch)" in result.stderr
    assert "Traceback" not in result.stderr
