"""Prepare the bucket of MEDIA_STORAGE=s3 for Videoflix. Idempotent: run it at every deployment.

1. The bucket exists (created if missing), private: no ACL and no policy is ever set.
2. CORS lets the front ends (CORS_ALLOWED_ORIGINS) GET segments with credentials: hls.js loads
   with `xhr.withCredentials = true`, so the store must answer with the exact origin and
   `Access-Control-Allow-Credentials: true`.
3. A lifecycle rule aborts multipart uploads left incomplete (a worker killed mid-upload), which
   a store otherwise keeps, and bills, forever.

Rules of ours carry fixed IDs and are replaced; anybody else's rules are kept. Last, a real signed
GET with a front end's Origin tells whether the store answers credentialed CORS at all: some
(SeaweedFS) send the origin but never Allow-Credentials, and then viewers must fetch the bucket
through the nginx proxy under the API's origin (S3_MEDIA_BASE_URL, deploy/nginx/README.md).
"""

import urllib.error
import urllib.request
import uuid
from collections.abc import Callable

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.objectstore import (
    TIMEOUT_SECONDS,
    BucketMissing,
    StoreProblem,
    admin_client,
    bucket_check,
    error_code,
    explained,
)

CORS_RULE_ID = "videoflix-front-ends"
LIFECYCLE_RULE_ID = "videoflix-abort-incomplete-multipart-uploads"
ABORT_AFTER_DAYS = 1
# A range request is how players seek inside a segment; the rest are what they read back.
CORS_ALLOWED_HEADERS = ["Range", "If-None-Match", "If-Modified-Since"]
CORS_EXPOSE_HEADERS = ["Accept-Ranges", "Content-Length", "Content-Range", "ETag"]
CORS_MAX_AGE_SECONDS = 3600
_UNSUPPORTED = {"NotImplemented", "NotSupported", "MethodNotAllowed"}


def cors_rule(origins: list[str]) -> dict:
    return {
        "ID": CORS_RULE_ID,
        "AllowedOrigins": list(origins),
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": CORS_ALLOWED_HEADERS,
        "ExposeHeaders": CORS_EXPOSE_HEADERS,
        "MaxAgeSeconds": CORS_MAX_AGE_SECONDS,
    }


LIFECYCLE_RULE = {
    "ID": LIFECYCLE_RULE_ID,
    "Filter": {"Prefix": ""},
    "Status": "Enabled",
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_AFTER_DAYS},
}


def current_rules(doing: str, read: Callable[[], list[dict]], *, absent: str) -> list[dict]:
    """The bucket's rules `read()` returns: none when the store answers `absent` (no rules set)
    or does not implement them at all (then setting them says so)."""
    with explained(doing):
        try:
            return read()
        except ClientError as exc:
            if error_code(exc) not in {absent, *_UNSUPPORTED}:
                raise
            return []


def applied(doing: str, write: Callable[[], object]) -> bool:
    """Run `write()`; False when the store does not implement it, any other refusal raises."""
    try:
        with explained(doing):
            write()
    except StoreProblem as problem:
        if error_code(problem.__cause__) not in _UNSUPPORTED:
            raise
        return False
    return True


class Command(BaseCommand):
    help = (
        "MEDIA_STORAGE=s3: create the bucket if missing, let CORS_ALLOWED_ORIGINS read it with "
        "credentials, abort incomplete multipart uploads after a day, and say whether the store "
        "answers credentialed CORS itself. Safe to repeat."
    )
    # The checks would refuse a missing bucket, which is what this command is for.
    requires_system_checks = []

    def handle(self, *args, **options):
        if settings.MEDIA_STORAGE != "s3":
            raise CommandError(
                "MEDIA_STORAGE is 'local': there is no bucket to set up "
                "(set MEDIA_STORAGE=s3 and the S3_* settings)."
            )
        try:
            client = admin_client()
            self.ensure_bucket(client)
            self.ensure_cors(client)
            self.ensure_lifecycle(client)
            if settings.CORS_ALLOWED_ORIGINS:
                self.report_credentialed_cors(client)
        except StoreProblem as problem:
            raise CommandError(str(problem)) from problem

    def ensure_bucket(self, client) -> None:
        bucket = settings.S3_BUCKET
        try:
            bucket_check(client)
        except BucketMissing:
            with explained(f"creating the bucket {bucket!r}"):
                if settings.S3_REGION and settings.S3_REGION != "us-east-1":
                    client.create_bucket(
                        Bucket=bucket,
                        CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION},
                    )
                else:
                    client.create_bucket(Bucket=bucket)
            self.stdout.write(f"Bucket {bucket!r} created (private: no ACL, no policy).")
            return
        self.stdout.write(f"Bucket {bucket!r} exists.")

    def ensure_cors(self, client) -> None:
        bucket = settings.S3_BUCKET
        rules = current_rules(
            "reading the bucket's CORS rules",
            lambda: client.get_bucket_cors(Bucket=bucket)["CORSRules"],
            absent="NoSuchCORSConfiguration",
        )
        others = [rule for rule in rules if rule.get("ID") != CORS_RULE_ID]
        origins = settings.CORS_ALLOWED_ORIGINS
        wanted = [*others, cors_rule(origins)] if origins else others
        if wanted == rules:
            self.stdout.write("CORS rules unchanged.")
        elif not applied(
            "setting the bucket's CORS rules",
            lambda: (
                client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": wanted})
                if wanted
                else client.delete_bucket_cors(Bucket=bucket)
            ),
        ):
            self.stderr.write(
                "This store does not accept CORS rules: serve the bucket to viewers through the "
                "nginx proxy under the API's origin (S3_MEDIA_BASE_URL, deploy/nginx/README.md)."
            )
        elif origins:
            self.stdout.write(f"CORS: GET and HEAD with credentials from {', '.join(origins)}.")
        else:
            self.stdout.write("CORS: no front-end origin (CORS_ALLOWED_ORIGINS is empty).")

    def ensure_lifecycle(self, client) -> None:
        bucket = settings.S3_BUCKET
        rules = current_rules(
            "reading the bucket's lifecycle rules",
            lambda: client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
            absent="NoSuchLifecycleConfiguration",
        )
        wanted = [*(rule for rule in rules if rule.get("ID") != LIFECYCLE_RULE_ID), LIFECYCLE_RULE]
        if wanted == rules:
            self.stdout.write("Lifecycle rule unchanged.")
        elif not applied(
            "setting the bucket's lifecycle rules",
            lambda: client.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": wanted}
            ),
        ):
            self.stderr.write(
                "This store does not accept lifecycle rules: abort incomplete multipart uploads "
                "with the store's own tools."
            )
        else:
            self.stdout.write(
                f"Lifecycle: incomplete multipart uploads are aborted after {ABORT_AFTER_DAYS} day."
            )

    def report_credentialed_cors(self, client) -> None:
        """A signed GET as a front end sends it: does the answer let a credentialed XHR read?"""
        bucket = settings.S3_BUCKET
        origin = settings.CORS_ALLOWED_ORIGINS[0]
        key = f"storage-setup-probes/{uuid.uuid4().hex}"
        with explained("writing a probe object"):
            client.put_object(Bucket=bucket, Key=key, Body=b"cors probe")
        try:
            with explained("signing a probe URL"):
                url = client.generate_presigned_url(
                    "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60
                )
            # The URL is one boto3 signed for S3_ENDPOINT_URL: http(s) by construction.
            request = urllib.request.Request(url, headers={"Origin": origin})  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    headers = response.headers
            except (urllib.error.URLError, OSError) as exc:
                raise StoreProblem(
                    f"A signed GET of a probe object from {origin} failed ({exc}): check "
                    "S3_ENDPOINT_URL and S3_REGION."
                ) from exc
        finally:
            with explained("deleting the probe object"):
                client.delete_object(Bucket=bucket, Key=key)
        credentialed = (
            headers.get("Access-Control-Allow-Origin") == origin
            and headers.get("Access-Control-Allow-Credentials") == "true"
        )
        if credentialed:
            self.stdout.write(
                f"The store answers credentialed CORS for {origin}: players may fetch segments "
                "from it directly."
            )
        else:
            self.stderr.write(
                f"The store does not answer credentialed CORS for {origin} (Allow-Origin "
                f"{headers.get('Access-Control-Allow-Origin')!r}, Allow-Credentials "
                f"{headers.get('Access-Control-Allow-Credentials')!r}): serve the bucket to "
                "viewers through the nginx proxy under the API's origin (S3_MEDIA_BASE_URL, "
                "deploy/nginx/README.md)."
            )
