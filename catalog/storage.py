"""Where a video's files live: the one module that knows, for both values of MEDIA_STORAGE.

    local   MEDIA_ROOT/originals/...      the originals (Django's FileSystemStorage)
            MEDIA_ROOT/hls/<id>           symlink to the live output version (catalog.outputs)
    s3      originals/...                 the originals (django-storages' S3Storage)
            hls/<id>/<version>/...        every published output, each under its own prefix;
                                          Video.output_version names the live one

Both modes transcode on the worker's local scratch (MEDIA_ROOT/hls/.work/<id>-<token>/).
Local mode swaps a finished output in with one rename. S3 mode uploads it under a fresh
version prefix first (viewers see nothing of it yet), then the video row names the new
version in the transaction that marks the video ready: one database update switches every
viewer at once. The previous version stays until every URL signed for it has expired
(S3_SIGNED_URL_SECONDS); the periodic sweep then deletes it, and also prefixes a failed or
interrupted upload left behind.

catalog and streaming ask `video_files()`; nothing else branches on the storage mode.
"""

import mimetypes
import secrets
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from catalog import outputs, selectors
from catalog.objectstore import error_code, staff_sentence, worker_client

HLS_PREFIX = "hls"
# Uploading a ladder: files in parallel, each large file in parts (boto3's multipart transfer).
UPLOAD_THREADS = 8  # with 4 parts each at once: objectstore.WORKER_CONNECTIONS
MULTIPART_THRESHOLD = 16 * 1024 * 1024
# The copied original needs room beside the output the transcode writes (about as large again).
SCRATCH_HEADROOM = 2.5


class MediaStoreError(OSError):
    """The media store did not do what was asked (unreachable, refused, or missing a bucket).

    An OSError, so a transcode treats it as a transient file failure and retries with back-off.
    """


class LocalFiles:
    """Everything under MEDIA_ROOT; outputs swap in by one rename (catalog.outputs)."""

    def copy_source(self, original_name: str, scratch: Path) -> Path:
        """The original as a local file ffmpeg can read: here, the stored file itself."""
        return Path(default_storage.path(original_name))

    def stage(self, video_id: int, built: Path) -> str:
        """Nothing to do ahead of the switch; the folder is renamed into place by `publish`."""
        return ""

    def publish(self, video_id: int, built: Path, version: str) -> str:
        """Make the output live (under the video's row lock); returns the version to record."""
        outputs.swap_in(video_id, built)
        return ""

    def thumbnail_name(self, video_id: int, version: str, relative: Path) -> str:
        return outputs.live_name(video_id, relative)

    def stored_file_url(self, name: str) -> str | None:
        """A short-lived URL a browser can load the stored file `name` from directly, or None
        when this process sends it itself (local mode)."""
        return None

    def remove_all(self, video_id: int) -> None:
        outputs.remove_all(video_id)

    def remove_orphans(self) -> list:
        """Outputs and scratch no video needs (catalog.outputs); returns what went."""
        return outputs.remove_orphans(busy=selectors.video_busy_flags)


class BucketFiles(LocalFiles):
    """Originals, outputs and thumbnails in the bucket; the local disk is only scratch."""

    def __init__(self) -> None:
        self.bucket = settings.S3_BUCKET

    @property
    def client(self):
        """django-storages' own boto3 client, the web's: it gives up within seconds."""
        return default_storage.connection.meta.client

    @cached_property
    def worker_client(self):
        """The transcode's client (copying the original, uploading a ladder): nobody waits
        on it, so it keeps botocore's retries and long timeouts (catalog.objectstore)."""
        return worker_client()

    def copy_source(self, original_name: str, scratch: Path) -> Path:
        """Copy the original to scratch after checking there is room for it and the output.

        A copy rather than ffmpeg reading a presigned URL: probe, loudness measurement and
        the encode each read the source again, and an MP4 with its index at the end makes
        ffmpeg seek back and forth over HTTP; a local copy is downloaded once
        (benchmarks/README.md, "Worker source").
        """
        client, key = self.worker_client, original_name  # the storage has no key prefix
        size = self._call(client.head_object, Bucket=self.bucket, Key=key)["ContentLength"]
        free = shutil.disk_usage(scratch).free
        if size * SCRATCH_HEADROOM > free:
            raise MediaStoreError(
                f"Not enough scratch space for the original: it is {size} bytes, "
                f"{free} bytes are free."
            )
        target = scratch / f"source{Path(original_name).suffix}"
        with target.open("wb") as copy:
            self._call(client.download_fileobj, self.bucket, key, copy, Config=_transfer_config())
        return target

    def stage(self, video_id: int, built: Path) -> str:
        """Upload a finished output under a fresh version prefix; returns the version.

        Files go up in parallel, large ones in parts; the master playlist goes last, so a
        version with a master playlist is complete. Nothing here is visible to viewers until
        `publish` names the version on the video row.
        """
        version = new_version()
        prefix = version_prefix(video_id, version)
        config = _transfer_config()
        files = sorted(p for p in built.rglob("*") if p.is_file() and p.name != "master.m3u8")
        # One client for the pool's threads (boto3 clients are thread-safe): building one per
        # thread costs a session and a resource each, tens of ms of CPU.
        client = self.worker_client

        def upload(path: Path) -> None:
            key = f"{prefix}{path.relative_to(built).as_posix()}"
            content_type = _content_type(path)
            self._call(
                client.upload_file,
                str(path),
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=config,
            )

        with ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix=f"upload-{video_id}") as pool:
            list(pool.map(upload, files))  # list(): re-raises the first failure
        upload(built / "master.m3u8")
        return version

    def publish(self, video_id: int, built: Path, version: str) -> str:
        return version  # the caller's row update is the switch

    def thumbnail_name(self, video_id: int, version: str, relative: Path) -> str:
        return f"{version_prefix(video_id, version)}{relative.as_posix()}"

    def read(self, video_id: int, version: str, name: str) -> bytes | None:
        """A small file (a playlist) of the version, or None when it or the bucket is missing."""
        if not version:
            return None
        key = f"{version_prefix(video_id, version)}{name}"
        try:
            return self._call(self.client.get_object, Bucket=self.bucket, Key=key)["Body"].read()
        except MediaStoreError as exc:
            if error_code(exc.__cause__) in ("NoSuchKey", "NoSuchBucket", "404", "NotFound"):
                return None
            raise

    def stored_file_url(self, name: str) -> str | None:
        return self._call(default_storage.url, name)  # presigned by django-storages

    def remove_all(self, video_id: int) -> None:
        self._delete_prefix(f"{HLS_PREFIX}/{video_id}/")

    def remove_orphans(self) -> list:
        """Delete versions no viewer can still be playing, and the scratch left locally.

        Kept: the live version; everything of a video being transcoded (its upload may be
        under way); an older version until S3_SIGNED_URL_SECONDS after the live one was
        published, since players may hold URLs signed for it until then. Deleted: every
        version of a video that no longer exists, older versions past that grace, and
        versions never published (an upload that failed or was interrupted).
        """
        removed = list(super().remove_orphans())  # local scratch of dead attempts
        versions = dict(self._listed_versions())
        if not versions:
            return removed
        known = selectors.video_version_facts(versions)
        for video_id, names in versions.items():
            for name in names:
                if _removable(name, known.get(video_id)):
                    prefix = version_prefix(video_id, name)
                    self._delete_prefix(prefix)
                    removed.append(prefix)
        return removed

    def _listed_versions(self) -> Iterator[tuple[int, list[str]]]:
        for video_prefix in self._subfolders(f"{HLS_PREFIX}/"):
            video_id = video_prefix.rstrip("/").rsplit("/", 1)[-1]
            if video_id.isdigit():
                names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self._subfolders(video_prefix)]
                yield int(video_id), names

    def _subfolders(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        for page in self._call(list, pages):
            for common in page.get("CommonPrefixes", ()):
                yield common["Prefix"]

    def _delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in self._call(list, pages):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys at most
                self._call(
                    self.client.delete_objects,
                    Bucket=self.bucket,
                    Delete={"Objects": keys[start : start + 1000], "Quiet": True},
                )

    @staticmethod
    def _call(function, *args, **kwargs):
        with store_errors():
            return function(*args, **kwargs)


@contextmanager
def store_errors() -> Iterator[None]:
    """The media store's failures (any storage call in s3 mode) as MediaStoreError with a
    sentence; in local mode nothing here can raise them."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise MediaStoreError(staff_sentence(exc)) from exc


def video_files() -> LocalFiles:
    """The files of videos as this process is configured to keep them."""
    return BucketFiles() if settings.MEDIA_STORAGE == "s3" else LocalFiles()


def new_version() -> str:
    """A version name that sorts by creation time: 16 hex digits of ns, then 8 random ones."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


def version_prefix(video_id: int, version: str) -> str:
    return f"{HLS_PREFIX}/{video_id}/{version}/"


def _removable(version: str, facts: selectors.VersionFacts | None) -> bool:
    if facts is None:
        return True  # the video is gone
    if facts.busy or version == facts.live_version:
        return False
    superseded = bool(facts.live_version) and version < facts.live_version
    if superseded and facts.live_since is not None:
        return time.time() >= facts.live_since.timestamp() + settings.S3_SIGNED_URL_SECONDS
    return True  # never published: a failed or interrupted upload


_CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/MP2T", ".vtt": "text/vtt"}


def _transfer_config():
    """Large files in parts, four at a time (boto3's multipart transfer)."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, max_concurrency=4)


def _content_type(path: Path) -> str:
    guessed = _CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return guessed or "application/octet-stream"
