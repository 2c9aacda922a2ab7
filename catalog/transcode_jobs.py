"""The transcode job's writes: claim, heartbeat, ready, failure, and requeueing abandoned jobs.

A claim is identified by the `transcode_started_at` it wrote: every later write of the job is
conditional on the row still being `processing` under that claim, so a worker that lost its
video (deleted, or requeued after its heartbeat went stale) can no longer change it.
While a video is `pending`, `heartbeat_at` holds when it was queued.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from catalog.models import Video, VideoStatus
from catalog.storage import video_files
from catalog.streaminfo import invalidate_on_commit
from transcoding import TranscodeResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    video_id: int
    claimed_at: datetime
    attempt: int
    original: str  # its name in storage (catalog.storage turns it into a local file)


@dataclass(frozen=True)
class Retry:
    """The job goes back to the queue after `delay` seconds."""

    delay: float


def _owned(claim: Claim) -> QuerySet:
    return Video.objects.filter(
        pk=claim.video_id, status=VideoStatus.PROCESSING, transcode_started_at=claim.claimed_at
    )


@transaction.atomic
def video_claim(*, video_id: int) -> Claim | None:
    """pending -> processing in one conditional UPDATE: of two workers exactly one gets the row."""
    now = timezone.now()
    won = Video.objects.filter(pk=video_id, status=VideoStatus.PENDING).update(
        status=VideoStatus.PROCESSING,
        progress=0,
        attempts=F("attempts") + 1,
        transcode_started_at=now,
        transcode_finished_at=None,
        heartbeat_at=now,
        updated_at=now,
    )
    if not won:
        return None
    video = Video.objects.only("attempts", "original").get(pk=video_id)
    invalidate_on_commit(video_id)
    return Claim(video_id, now, video.attempts, video.original.name)


def video_heartbeat(*, claim: Claim, progress: float) -> bool:
    """Save progress and prove the worker alive; False once the claim is lost."""
    updated = _owned(claim).update(
        progress=max(0, min(100, int(progress))), heartbeat_at=timezone.now()
    )
    return updated == 1


@transaction.atomic
def video_mark_ready(*, claim: Claim, result: TranscodeResult, staged: str = "") -> bool:
    """Make the finished output live and record it; False (output untouched) once the claim
    is lost. `staged` is what `video_files().stage` returned for it (s3: the uploaded version).

    The switch happens under the row lock, so a concurrent delete waits for it and then
    removes the new output too.
    """
    video = _owned(claim).select_for_update().first()
    if video is None:
        return False
    files = video_files()
    video.output_version = files.publish(claim.video_id, result.output_dir, staged)
    renditions = sorted(result.renditions, key=lambda rendition: rendition.height)
    now = timezone.now()
    video.status = VideoStatus.READY
    video.output_live = True
    video.progress = 100
    video.error = ""
    video.duration = result.duration
    video.width = result.width
    video.height = result.height
    video.renditions = [rendition.name for rendition in renditions]
    video.source_metadata = result.source.as_dict()
    video.output_features = output_features(result)
    video.thumbnail.name = files.thumbnail_name(
        claim.video_id, video.output_version, result.thumbnail.relative_to(result.output_dir)
    )
    video.transcode_finished_at = now
    video.heartbeat_at = now
    video.save(
        update_fields=[
            "status", "output_live", "output_version", "progress", "error", "duration", "width",
            "height", "renditions", "source_metadata", "output_features", "thumbnail",
            "transcode_finished_at", "heartbeat_at", "updated_at",
        ]
    )  # fmt: skip
    invalidate_on_commit(claim.video_id)
    return True


def output_features(result: TranscodeResult) -> dict:
    """What front ends may light up for this output, and the loudness and per-title encoder
    settings staff want to see."""
    return {
        "iframe_playlists": [stream.name for stream in result.iframe_playlists],
        "storyboard": result.storyboard is not None,
        "loudness": result.loudness.as_dict() if result.loudness else None,
        "encoding": result.encoding.as_dict() if result.encoding else None,
    }


@transaction.atomic
def video_record_failure(*, claim: Claim, reason: str, retryable: bool) -> Retry | None:
    """A failed attempt: back to `pending` for a retry when it may help and attempts remain,
    otherwise `failed` with the reason. The previous output, if any, stays live."""
    video = _owned(claim).select_for_update().first()
    if video is None:
        return None
    return _fail_or_requeue(video, reason=reason, retryable=retryable)


def _fail_or_requeue(video: Video, *, reason: str, retryable: bool) -> Retry | None:
    limit = settings.VIDEO_TRANSCODE_MAX_ATTEMPTS
    now = timezone.now()
    retry = None
    if retryable and video.attempts < limit:
        backoff = 2 ** (video.attempts - 1)
        retry = Retry(delay=settings.VIDEO_TRANSCODE_RETRY_DELAY_SECONDS * backoff)
        video.status = VideoStatus.PENDING
        video.error = (
            f"{reason} Attempt {video.attempts} of {limit} failed; retrying in {retry.delay:g} s."
        )
        video.heartbeat_at = now
    else:
        video.status = VideoStatus.FAILED
        attempts = f"{video.attempts} attempt{'s' if video.attempts != 1 else ''}"
        video.error = f"{reason} Gave up after {attempts}." if retryable else reason
        video.transcode_finished_at = now
    video.save(
        update_fields=["status", "error", "heartbeat_at", "transcode_finished_at", "updated_at"]
    )
    invalidate_on_commit(video.pk)
    return retry


@transaction.atomic
def videos_requeue_abandoned() -> list[tuple[int, Retry]]:
    """Jobs whose worker stopped reporting go back to `pending` while attempts remain, and
    fail after the last one; queued videos nobody picked up for too long (a lost queue entry)
    are queued again. Returns what to enqueue, and when."""
    now = timezone.now()
    stale = (
        Video.objects.select_for_update(skip_locked=True)
        .filter(
            status=VideoStatus.PROCESSING,
            heartbeat_at__lt=now - timedelta(seconds=settings.VIDEO_HEARTBEAT_STALE_SECONDS),
        )
        .order_by("pk")
    )
    requeue = []
    for video in stale:
        logger.warning("The worker transcoding video %s stopped responding.", video.pk)
        reason = "The transcoding worker stopped responding."
        retry = _fail_or_requeue(video, reason=reason, retryable=True)
        if retry is not None:
            requeue.append((video.pk, retry))
    forgotten_ids = list(
        Video.objects.filter(
            status=VideoStatus.PENDING,
            heartbeat_at__lt=now - timedelta(seconds=settings.VIDEO_PENDING_REQUEUE_SECONDS),
        ).values_list("pk", flat=True)
    )
    Video.objects.filter(pk__in=forgotten_ids).update(heartbeat_at=now)
    return requeue + [(video_id, Retry(delay=0)) for video_id in forgotten_ids]
