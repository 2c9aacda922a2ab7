"""The object store of MEDIA_STORAGE=s3 as each of its users meets it: the clients of the worker
and of the operator's tools, and the one reading of botocore's failures.

Files themselves go through django-storages (STORAGES["default"]), whose client is the web's: a
person waits for each of its answers, so it gives up within seconds (settings.S3_CLIENT_CONFIG).
The worker's transcodes and the operator's commands build their own clients from the very same
session (credentials, endpoint, addressing), patient or quick as their work asks.

Every failure is read once, by `fault_of`, and said in the words of its audience: staff and
viewers get a short sentence (`staff_sentence`, catalog.storage), the operator one naming the
setting to fix (`explained`: `manage.py check`, `storage_setup`, `setup`), never a trace.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
# An operator's command waits seconds, not the minutes botocore's retries of an unroutable
# endpoint would take; one attempt answers "is it there?".
_OPERATOR_CONFIG = Config(
    connect_timeout=TIMEOUT_SECONDS,
    read_timeout=TIMEOUT_SECONDS,
    retries={"total_max_attempts": 1},
)
# Nobody waits on a transcode, and a failed upload of a ladder costs a retry of the whole job:
# the worker keeps botocore's own patience (standard mode: 3 attempts, 60 s timeouts), which the
# web's storage client gives up for answers within seconds.
WORKER_ATTEMPTS = 3
# The ladder upload shares one client among its threads: 8 files at a time, each in up to 4
# parts at once (catalog.storage), so the pool holds that many connections, not botocore's 10.
WORKER_CONNECTIONS = 32
_WORKER_CONFIG = Config(
    connect_timeout=60,
    read_timeout=60,
    max_pool_connections=WORKER_CONNECTIONS,
    retries={"mode": "standard", "total_max_attempts": WORKER_ATTEMPTS},
)

_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AccessDenied",
    "AuthorizationHeaderMalformed",
    "403",  # a HEAD's refusal carries no body, hence no code but the status
}


class StoreProblem(Exception):
    """The store cannot be used as configured; str() is the sentence to show."""


class BucketMissing(StoreProblem):
    pass


@dataclass(frozen=True)
class Fault:
    """What a failed store request means, whoever is told: `kind` is one of "no bucket",
    "refused" (our credentials), "no credentials", "timeout", "unreachable" or "answered"
    (anything else the store said, with its `code` and `message`)."""

    kind: str
    code: str = ""
    message: str = ""


def fault_of(exc: BaseException) -> Fault:
    """The meaning of one of botocore's errors (a ClientError or a BotoCoreError)."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code == "NoSuchBucket":
            return Fault("no bucket", code)
        if code in _CREDENTIAL_CODES:
            return Fault("refused", code)
        message = exc.response.get("Error", {}).get("Message", "") or "no reason given"
        return Fault("answered", code or "an error", message)
    if isinstance(exc, NoCredentialsError):
        return Fault("no credentials")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return Fault("timeout", type(exc).__name__)
    return Fault("unreachable", type(exc).__name__)


def staff_sentence(exc: BaseException) -> str:
    """The fault as staff uploading a film read it (viewers get a fixed 503 sentence)."""
    fault = fault_of(exc)
    return {
        "no bucket": "The media store has no bucket named in S3_BUCKET.",
        "refused": "The media store refused our credentials.",
        "no credentials": "The media store needs credentials, and none are configured.",
        "timeout": "The media store cannot be reached (it did not answer in time).",
        "unreachable": "The media store cannot be reached.",
        "answered": f"The media store answered {fault.code} ({fault.message}).",
    }[fault.kind]


def operator_problem(exc: BaseException, doing: str) -> StoreProblem:
    """The fault as the operator reads it in a log: where, while doing what, and what to fix."""
    fault = fault_of(exc)
    bucket, at = settings.S3_BUCKET, where()
    if fault.kind == "no bucket":
        return BucketMissing(
            f"The bucket {bucket!r} does not exist at {at}: run `manage.py storage_setup`."
        )
    store_down = "check S3_ENDPOINT_URL and that the store is running."
    return StoreProblem(
        {
            "refused": f"The object store at {at} refused our credentials ({fault.code}) while "
            f"{doing}: check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_SESSION_TOKEN and "
            f"S3_REGION, and that they may use the bucket {bucket!r}.",
            "no credentials": "MEDIA_STORAGE=s3 needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY "
            "(or AWS credentials in the environment).",
            "timeout": f"The object store at {at} did not answer within {TIMEOUT_SECONDS} s while "
            f"{doing}: {store_down}",
            "unreachable": f"The object store at {at} is unreachable ({fault.code}) while "
            f"{doing}: {store_down}",
            "answered": f"The object store at {at} answered {fault.code} ({fault.message}) while "
            f"{doing}.",
        }[fault.kind]
    )


def where() -> str:
    return settings.S3_ENDPOINT_URL or f"AWS S3 ({settings.S3_REGION})"


def _client(config: Config):
    """A boto3 client with the very credentials, endpoint and addressing of Django's storage
    (django-storages builds it from STORAGES["default"]), its limits replaced by `config`."""
    storage = storages["default"]
    try:
        # The storage's own session: its credentials, however they were configured.
        return storage._create_session().client(
            "s3",
            region_name=storage.region_name,
            endpoint_url=storage.endpoint_url,
            use_ssl=storage.use_ssl,
            verify=storage.verify,
            config=storage.client_config.merge(config),
        )
    except ValueError as exc:  # botocore refuses an endpoint that is not a URL
        raise StoreProblem(f"S3_ENDPOINT_URL {settings.S3_ENDPOINT_URL!r} is not a URL.") from exc


def admin_client():
    """The operator's client: short timeouts and no retries."""
    return _client(_OPERATOR_CONFIG)


def worker_client():
    """The worker's client for transcodes: botocore's long timeouts and retries."""
    return _client(_WORKER_CONFIG)


def error_code(exc: BaseException | None) -> str:
    """The S3 error code of a botocore ClientError ("NoSuchBucket", ...), else ""."""
    response = exc.response if isinstance(exc, ClientError) else {}
    return response.get("Error", {}).get("Code", "")


@contextmanager
def explained(doing: str) -> Iterator[None]:
    """Turn botocore's errors in the block into a StoreProblem with the operator's sentence."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise operator_problem(exc, doing) from exc


def bucket_check(client) -> None:
    """Raise StoreProblem (BucketMissing if only the bucket is absent) unless we may list it."""
    with explained(f"listing the bucket {settings.S3_BUCKET!r}"):
        # A listing, not HEAD: a HEAD refusal carries no error code, so wrong credentials and
        # a bucket we may not read would look alike.
        client.list_objects_v2(Bucket=settings.S3_BUCKET, MaxKeys=1)
