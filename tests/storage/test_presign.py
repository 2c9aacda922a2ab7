"""The fast presigner (catalog/presign.py): byte-identical to botocore, accepted by a real S3
server, refused once tampered with or expired."""

import datetime
import time

import pytest

from catalog.presign import BucketUrls, grid_time
from tests.storage.stacks import fetch
from tests.videoflix.test_settings import run_manage

SIGNED_AT = 1_764_620_000  # 2025-12-01T20:13:20Z


def our_urls(
    server, bucket: str, *, signed_at=SIGNED_AT, expires=3600, base_url="", **other
) -> BucketUrls:
    """Signed for the server; `other` replaces endpoint_url or adds a session_token."""
    return BucketUrls(
        **{"endpoint_url": server.endpoint_url, **other},
        bucket=bucket,
        region=server.region,
        access_key=server.access_key,
        secret_key=server.secret_key,
        signed_at=signed_at,
        expires=expires,
        base_url=base_url,
    )


def botocore_url(
    server, monkeypatch, bucket: str, key: str, *, expires=3600, endpoint_url="", session_token=""
) -> str:
    """What boto3 signs at SIGNED_AT: for the server, or for another endpoint or with a session
    token (signing needs no network)."""
    import boto3
    import botocore.auth
    from botocore.config import Config

    moment = datetime.datetime.fromtimestamp(SIGNED_AT, datetime.UTC).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: moment)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url or server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        aws_session_token=session_token or None,
        region_name=server.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )


@pytest.fixture
def bucket(s3_server):
    return s3_server.fresh_bucket("presign")


@pytest.mark.parametrize(
    "key",
    [
        "hls/7/0187a1b2c3d4e5f6a1b2c3d4/240p/segment000.ts",
        "originals/My film (final) ~v2.mp4",
        "thumbnails/ünïcode & friends+.jpg",
    ],
)
@pytest.mark.parametrize("expires", [60, 14400])
def test_urls_are_byte_identical_to_botocore(s3_server, monkeypatch, key, expires):
    ours = our_urls(s3_server, "films", expires=expires).url(key)
    assert ours == botocore_url(s3_server, monkeypatch, "films", key, expires=expires)


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "https://s3.example.com:443",  # a default port: botocore signs the host without it
        "http://s3.example.com:80",
        "https://S3.Example.COM",  # the host is signed in lower case
        "http://s3.example.com:443",  # not the default port of http: signed with it
        "https://s3.example.com:8443",
        "http://[::1]:8333",
    ],
)
def test_endpoints_with_ports_and_cases_sign_as_botocore_does(s3_server, monkeypatch, endpoint_url):
    key = "hls/7/0187a1b2c3d4e5f6a1b2c3d4/240p/segment000.ts"
    ours = our_urls(s3_server, "films", endpoint_url=endpoint_url).url(key)
    assert ours == botocore_url(s3_server, monkeypatch, "films", key, endpoint_url=endpoint_url)


@pytest.mark.parametrize(
    "session_token",
    [
        "FwoGZXIvYXdzEBYaDHqa0AP1/4c+fbw+jdKcAX3gn8lMl7Kh6=",  # as STS hands them out
        "a token with spaces & ~ symbols",
    ],
)
@pytest.mark.parametrize("endpoint_url", ["", "https://s3.eu-central-1.amazonaws.com:443"])
def test_a_session_token_is_signed_into_the_query_as_botocore_does(
    s3_server, monkeypatch, session_token, endpoint_url
):
    key = "originals/My film (final).mp4"
    urls = our_urls(
        s3_server,
        "films",
        endpoint_url=endpoint_url or s3_server.endpoint_url,
        session_token=session_token,
    )
    ours = urls.url(key)
    assert "&X-Amz-Security-Token=" in ours
    assert ours == botocore_url(
        s3_server, monkeypatch, "films", key, endpoint_url=endpoint_url, session_token=session_token
    )


def test_the_real_server_accepts_a_url_and_refuses_it_tampered(s3_server, bucket):
    key = "hls/1/v/240p/segment000.ts"
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"segment bytes")
    url = our_urls(s3_server, bucket, signed_at=grid_time(time.time(), 300)).url(key)
    assert fetch(url) == (200, b"segment bytes")

    other_key = url.replace("segment000.ts", "segment001.ts")
    s3_server.client().put_object(Bucket=bucket, Key=key.replace("000", "001"), Body=b"other")
    assert fetch(other_key)[0] == 403  # the signature names the key
    longer = url.replace("X-Amz-Expires=", "X-Amz-Expires=9")
    assert fetch(longer)[0] == 403  # ... and the lifetime


def test_an_expired_url_is_refused(s3_server, bucket):
    key = "thumbnail.jpg"
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"jpeg")
    url = our_urls(s3_server, bucket, signed_at=SIGNED_AT, expires=60).url(key)
    assert fetch(url)[0] == 403


def test_a_base_url_keeps_path_and_query_signed_for_the_endpoint(s3_server):
    plain = our_urls(s3_server, "films").url("hls/1/v/master.m3u8")
    based = our_urls(s3_server, "films", base_url="https://cdn.example.com/media-bucket/")
    assert based.url("hls/1/v/master.m3u8") == plain.replace(
        s3_server.endpoint_url, "https://cdn.example.com/media-bucket"
    )


def test_signing_times_fall_on_the_grid():
    assert grid_time(1000.9, 300) == 900
    assert grid_time(1199.0, 300) == 900
    assert grid_time(1200.0, 300) == 1200


def test_s3_session_token_reaches_django_storages_and_the_signed_urls(tmp_path):
    """From the environment, as a deployment sets it: the storage's requests and the URLs
    handed to players carry the same token (nothing here calls the network)."""
    code = (
        "from django.core.files.storage import storages\n"
        "from streaming.delivery import signed_urls\n"
        "print(storages['default']._create_session().get_credentials().token)\n"
        "print(signed_urls().url('hls/1/v/240p/segment000.ts'))\n"
    )
    environment = {
        "VAR_DIR": str(tmp_path),
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": "https://s3.example.com",
        "S3_BUCKET": "films",
        "S3_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "S3_SECRET_ACCESS_KEY": "temporary-secret",
        "S3_SESSION_TOKEN": "FwoGZXIvYXdzEBYaDH/+=",
    }
    result = run_manage("shell", "--no-imports", "-c", code, env=environment)
    assert result.returncode == 0, result.stderr
    storage_token, url = result.stdout.splitlines()
    assert storage_token == "FwoGZXIvYXdzEBYaDH/+="
    assert "&X-Amz-Security-Token=FwoGZXIvYXdzEBYaDH%2F%2B%3D&X-Amz-Signature=" in url
