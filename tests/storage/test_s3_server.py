"""The S3 server the storage tests rely on checks signatures, and Django's storage reaches it."""

import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_unsigned_and_wrongly_signed_requests_are_refused(s3_media, settings):
    s3_media.put_object(Bucket=settings.S3_BUCKET, Key="hls/1/segment000.ts", Body=b"bytes")
    signed = s3_media.generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.S3_BUCKET, "Key": "hls/1/segment000.ts"},
        ExpiresIn=60,
    )
    assert _status(signed) == 200
    assert _status(f"{settings.S3_ENDPOINT_URL}/{settings.S3_BUCKET}/hls/1/segment000.ts") == 403
    tampered = signed.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert _status(tampered) == 403


@pytest.mark.django_db
def test_django_default_storage_writes_to_the_bucket_without_acls(s3_media, settings):
    name = default_storage.save("originals/film.mp4", ContentFile(b"original bytes"))
    stored = s3_media.get_object(Bucket=settings.S3_BUCKET, Key=name)
    assert stored["Body"].read() == b"original bytes"
    # A private bucket: the URL Django hands out is signed, and only the signed one opens.
    assert "X-Amz-Signature=" in default_storage.url(name)
    assert _status(default_storage.url(name)) == 200
