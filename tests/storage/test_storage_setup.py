"""`manage.py storage_setup` against the real SeaweedFS of the session: bucket, CORS for the
front ends, the lifecycle rule for abandoned multipart uploads; idempotent; faults in one
sentence."""

import io
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from django.core.management import CommandError, call_command

from tests.storage.store_settings import reconfigure_store, store_environment
from tests.support import ROOT, free_port
from videoflix.management.commands.storage_setup import (
    CORS_RULE_ID,
    LIFECYCLE_RULE_ID,
)

FRONT_END = "http://127.0.0.1:5500"


def storage_setup() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("storage_setup", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def new_bucket(s3_media, settings):
    """The s3 settings pointed at a bucket nobody has created yet."""
    name = f"vf-new-{uuid.uuid4().hex[:16]}"
    reconfigure_store(settings, S3_BUCKET=name)
    return name


def signed_get(client, bucket: str, key: str, origin: str):
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
    )
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Origin": origin})) as got:
        return got.status, got.headers, got.read()


def our_rule(rules, rule_id):
    return next(rule for rule in rules if rule["ID"] == rule_id)


def test_local_mode_has_no_bucket_to_set_up(settings):
    settings.MEDIA_STORAGE = "local"
    with pytest.raises(CommandError, match="MEDIA_STORAGE is 'local'"):
        storage_setup()


def test_it_creates_a_private_bucket_the_front_ends_may_read(s3_media, new_bucket, settings):
    out, err = storage_setup()
    assert f"Bucket {new_bucket!r} created" in out

    cors = s3_media.get_bucket_cors(Bucket=new_bucket)["CORSRules"]
    rule = our_rule(cors, CORS_RULE_ID)
    assert rule["AllowedOrigins"] == settings.CORS_ALLOWED_ORIGINS
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD"]
    lifecycle = s3_media.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]
    assert our_rule(lifecycle, LIFECYCLE_RULE_ID)["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }

    # What a browser sees: the exact origin for a front end, nothing for anybody else.
    s3_media.put_object(Bucket=new_bucket, Key="hls/1/720p/segment000.ts", Body=b"G" * 188)
    status, headers, body = signed_get(s3_media, new_bucket, "hls/1/720p/segment000.ts", FRONT_END)
    assert (status, body) == (200, b"G" * 188)
    assert headers["Access-Control-Allow-Origin"] == FRONT_END
    _, foreign, _ = signed_get(s3_media, new_bucket, "hls/1/720p/segment000.ts", "http://evil.test")
    assert "Access-Control-Allow-Origin" not in foreign
    # Still private: the unsigned URL is refused.
    plain = f"{settings.S3_ENDPOINT_URL}/{new_bucket}/hls/1/720p/segment000.ts"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(plain)
    assert refused.value.code == 403

    # The command's verdict on credentialed CORS is the store's real answer.
    credentialed = headers.get("Access-Control-Allow-Credentials") == "true"
    assert ("players may fetch segments from it directly" in out) == credentialed
    assert ("through the nginx proxy under the API's origin" in err) == (not credentialed)
    # Its probe object is gone again.
    assert s3_media.list_objects_v2(Bucket=new_bucket).get("KeyCount") == 1


def test_it_is_idempotent_and_keeps_other_peoples_rules(s3_media, new_bucket):
    storage_setup()
    foreign_cors = {
        "ID": "operators-own",
        "AllowedOrigins": ["https://dashboard.example"],
        "AllowedMethods": ["GET"],
    }
    cors = s3_media.get_bucket_cors(Bucket=new_bucket)["CORSRules"]
    s3_media.put_bucket_cors(
        Bucket=new_bucket, CORSConfiguration={"CORSRules": [foreign_cors, *cors]}
    )
    foreign_lifecycle = {
        "ID": "operators-expiry",
        "Filter": {"Prefix": "scratch/"},
        "Status": "Enabled",
        "Expiration": {"Days": 7},
    }
    rules = s3_media.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]
    s3_media.put_bucket_lifecycle_configuration(
        Bucket=new_bucket, LifecycleConfiguration={"Rules": [foreign_lifecycle, *rules]}
    )
    before_cors = s3_media.get_bucket_cors(Bucket=new_bucket)["CORSRules"]
    before_lifecycle = s3_media.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]

    out, _ = storage_setup()

    assert f"Bucket {new_bucket!r} exists." in out
    assert "CORS rules unchanged." in out
    assert "Lifecycle rule unchanged." in out
    assert s3_media.get_bucket_cors(Bucket=new_bucket)["CORSRules"] == before_cors
    after = s3_media.get_bucket_lifecycle_configuration(Bucket=new_bucket)["Rules"]
    assert after == before_lifecycle
    assert our_rule(after, "operators-expiry")["Expiration"] == {"Days": 7}


def test_new_front_end_origins_replace_ours_only(s3_media, new_bucket, settings):
    storage_setup()
    settings.CORS_ALLOWED_ORIGINS = ["https://videoflix.example"]
    out, _ = storage_setup()
    assert "CORS: GET and HEAD with credentials from https://videoflix.example." in out
    rules = s3_media.get_bucket_cors(Bucket=new_bucket)["CORSRules"]
    assert [rule["ID"] for rule in rules] == [CORS_RULE_ID]
    assert rules[0]["AllowedOrigins"] == ["https://videoflix.example"]


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"S3_SECRET_ACCESS_KEY": "wrong"}, "refused our credentials (SignatureDoesNotMatch)"),
        ({"S3_ACCESS_KEY_ID": "nobody"}, "refused our credentials (InvalidAccessKeyId)"),
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:{port}"}, "is unreachable"),
    ],
)
def test_a_store_it_cannot_use_is_one_sentence(s3_media, new_bucket, settings, change, sentence):
    reconfigure_store(settings, **{k: v.format(port=free_port()) for k, v in change.items()})
    with pytest.raises(CommandError, match=r"\(") as failed:
        storage_setup()
    message = str(failed.value)
    assert sentence in message
    assert "\n" not in message
    # Nothing was created with credentials the store refused.
    assert new_bucket not in [b["Name"] for b in s3_media.list_buckets()["Buckets"]]


@pytest.mark.slow
def test_the_command_line_shows_the_sentence_without_a_trace(s3_media, new_bucket, settings):
    reconfigure_store(settings, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    result = subprocess.run(
        [sys.executable, "manage.py", "storage_setup"],
        cwd=ROOT,
        env={**os.environ, **store_environment(settings)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"CommandError: The object store at {settings.S3_ENDPOINT_URL}")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
