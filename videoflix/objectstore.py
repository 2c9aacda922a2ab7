"""The object store as an operator meets it (MEDIA_STORAGE=s3): can we reach the bucket with our
credentials, and which sentence says why not. `manage.py check` and `manage.py storage_setup`
ask here; files themselves go through django-storages (STORAGES["default"]).

Every failure becomes one sentence naming the setting to fix, never a botocore trace: an
operator reads it in `docker compose logs` and knows what to change.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    NoCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings
from django.core.files.storage import storages

TIMEOUT_SECONDS = 5
# An operator's command waits seconds, not the minutes botocore's default retries of an
# unroutable endpoint would take; one attempt answers "is it there?".
_ADMIN_CONFIG = Config(
    connect_timeout=TIMEOUT_SECONDS,
    read_timeout=TIMEOUT_SECONDS,
    retries={"total_max_attempts": 1},
)

_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AccessDenied",
    "AuthorizationHeaderMalformed",
}


class StoreProblem(Exception):
    """The store cannot be used as configured; str() is the sentence to show."""


class BucketMissing(StoreProblem):
    pass


def where() -> str:
    return settings.S3_ENDPOINT_URL or f"AWS S3 ({settings.S3_REGION})"


def admin_client():
    """A boto3 client with the very credentials, endpoint and addressing of Django's storage
    (django-storages builds it from STORAGES["default"]), but short timeouts and no retries."""
    storage = storages["default"]
    try:
        # The storage's own session: its credentials, however they were configured.
        return storage._create_session().client(
            "s3",
            region_name=storage.region_name,
            endpoint_url=storage.endpoint_url,
            use_ssl=storage.use_ssl,
            verify=storage.verify,
            config=storage.client_config.merge(_ADMIN_CONFIG),
        )
    except ValueError as exc:  # botocore refuses an endpoint that is not a URL
        raise StoreProblem(f"S3_ENDPOINT_URL {settings.S3_ENDPOINT_URL!r} is not a URL.") from exc


def error_code(exc: BaseException | None) -> str:
    """The S3 error code of a botocore ClientError ("NoSuchBucket", ...), else ""."""
    response = exc.response if isinstance(exc, ClientError) else {}
    return response.get("Error", {}).get("Code", "")


@contextmanager
def explained(doing: str) -> Iterator[None]:
    """Turn botocore's errors in the block into a StoreProblem with one sentence."""
    try:
        yield
    except ClientError as exc:
        raise _client_problem(exc, doing) from exc
    except NoCredentialsError as exc:
        raise StoreProblem(
            "MEDIA_STORAGE=s3 needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY "
            "(or AWS credentials in the environment)."
        ) from exc
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        raise StoreProblem(
            f"The object store at {where()} did not answer within {TIMEOUT_SECONDS} s while "
            f"{doing}: check S3_ENDPOINT_URL and that the store is running."
        ) from exc
    except BotoCoreError as exc:
        raise StoreProblem(
            f"The object store at {where()} is unreachable ({type(exc).__name__}) while "
            f"{doing}: check S3_ENDPOINT_URL and that the store is running."
        ) from exc


def _client_problem(exc: ClientError, doing: str) -> StoreProblem:
    code = error_code(exc)
    bucket = settings.S3_BUCKET
    if code == "NoSuchBucket":
        return BucketMissing(
            f"The bucket {bucket!r} does not exist at {where()}: run `manage.py storage_setup`."
        )
    if code in _CREDENTIAL_CODES:
        return StoreProblem(
            f"The object store at {where()} refused our credentials ({code}) while {doing}: "
            f"check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_REGION, and that they may use "
            f"the bucket {bucket!r}."
        )
    message = exc.response.get("Error", {}).get("Message", "") or "no reason given"
    return StoreProblem(
        f"The object store at {where()} answered {code or 'an error'} ({message}) while {doing}."
    )


def bucket_check(client) -> None:
    """Raise StoreProblem (BucketMissing if only the bucket is absent) unless we may list it."""
    with explained(f"listing the bucket {settings.S3_BUCKET!r}"):
        # A listing, not HEAD: a HEAD refusal carries no error code, so wrong credentials and
        # a bucket we may not read would look alike.
        client.list_objects_v2(Bucket=settings.S3_BUCKET, MaxKeys=1)
