"""The fast presigner (catalog/presign.py): byte-identical to botocore, accepted by a real S3
server, refused once tampered with or expired."""

import datetime
import time
import uuid

import pytest

from catalog.presign import BucketUrls, grid_time
from tests.storage.stacks import fetch

SIGNED_AT = 1_764_620_000  # 2025-12-01T20:13:20Z


def our_urls(server, bucket: str, *, signed_at=SIGNED_AT, expires=3600, base_url="") -> BucketUrls:
    return BucketUrls(
        endpoint_url=server.endpoint_url,
        bucket=bucket,
        region=server.region,
        access_key=server.access_key,
        secret_key=server.secret_key,
        signed_at=signed_at,
        expires=expires,
        base_url=base_url,
    )


def botocore_url(server, monkeypatch, bucket: str, key: str, *, expires=3600) -> str:
    import botocore.auth

    moment = datetime.datetime.fromtimestamp(SIGNED_AT, datetime.UTC).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: moment)
    return server.client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )


@pytest.fixture
def bucket(s3_server):
    name = f"presign-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


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
