"""Huey tasks: transcode one video, and the periodic sweep for abandoned jobs and stray files."""

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from catalog import outputs, transcode_jobs
from catalog.ladder import configured_ladder
from catalog.storage import MediaStoreError, video_files
from transcoding import Progress, TranscodeResult, TranscodingError, transcode

logger = logging.getLogger(__name__)

# Progress and heartbeat writes: at most this often, and at least this often while alive.
PROGRESS_SAVE_SECONDS = 2.0


def enqueue_transcode(video_id: int, delay: float = 0) -> None:
    if delay > 0:
        transcode_video.schedule(args=(video_id,), delay=delay)
    else:
        transcode_video(video_id)


# Huey's own retries cover failures before the claim, e.g. the database being unreachable.
@db_task(retries=3, retry_delay=30, retry_backoff=2)
def transcode_video(video_id: int) -> None:
    claim = transcode_jobs.video_claim(video_id=video_id)
    if claim is None:
        logger.info("Video %s is not waiting for a transcode; nothing to do.", video_id)
        return
    logger.info("Transcoding video %s (attempt %s).", video_id, claim.attempt)
    files = video_files()
    try:
        with outputs.work_dir(video_id) as work:
            source = files.copy_source(claim.original, work)
            result = _transcode_with_heartbeat(claim, source, work / "output")
            staged = files.stage(video_id, result.output_dir)
            if transcode_jobs.video_mark_ready(claim=claim, result=result, staged=staged):
                rungs = ", ".join(rendition.name for rendition in result.renditions)
                logger.info("Video %s is ready: %s.", video_id, rungs)
    except _ClaimLost:
        pass  # said when noticed; the video is someone else's or gone, nothing to record
    except TranscodingError as exc:
        _record_failure(claim, exc.reason, retryable=not exc.permanent)
    except MediaStoreError as exc:
        _record_failure(claim, str(exc), retryable=True)
    except OSError as exc:
        _record_failure(claim, f"A file operation failed: {exc.strerror or exc}.", retryable=True)
    except Exception:
        logger.exception("Transcoding video %s failed unexpectedly.", video_id)
        reason = "Transcoding failed unexpectedly; the worker log has the details."
        _record_failure(claim, reason, retryable=False)


def _record_failure(claim: transcode_jobs.Claim, reason: str, *, retryable: bool) -> None:
    retry = transcode_jobs.video_record_failure(claim=claim, reason=reason, retryable=retryable)
    logger.warning("Transcoding video %s failed: %s", claim.video_id, reason)
    if retry is not None:
        enqueue_transcode(claim.video_id, retry.delay)


def _transcode_with_heartbeat(
    claim: transcode_jobs.Claim, source: Path, output_dir: Path
) -> TranscodeResult:
    """Run the library on a helper thread while this one saves progress and heartbeats.

    The writes stay on the task's own thread (and database connection) however long ffmpeg,
    the thumbnail or the validation take; losing the claim cancels the run.
    """
    latest = _LatestProgress()
    cancel = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = transcode(
                source,
                output_dir,
                ladder=configured_ladder(),
                on_progress=latest,
                cancel=cancel,
                storyboard_interval=settings.STORYBOARD_INTERVAL_SECONDS or None,
                loudness_target=(
                    settings.LOUDNESS_TARGET_LUFS if settings.LOUDNESS_NORMALISATION else None
                ),
            )
        except BaseException as exc:  # handed to the task thread, which decides
            outcome["error"] = exc

    def still_claimed() -> bool:
        if _heartbeat(claim, latest.percent):
            return True
        logger.warning("Video %s was taken from this worker; stopping.", claim.video_id)
        return False

    worker = threading.Thread(target=run, name=f"transcode-video-{claim.video_id}", daemon=True)
    worker.start()
    lost = False
    try:
        while True:
            worker.join(PROGRESS_SAVE_SECONDS)
            if not worker.is_alive():
                break
            if not still_claimed():
                lost = True
                cancel.set()
    finally:
        if worker.is_alive():  # this thread is being torn down: ffmpeg must not outlive it
            cancel.set()
            worker.join()
    if "error" in outcome:
        # A deleted video's files go while it is encoded, and ffmpeg may fail on that before
        # the next heartbeat: the claim decides whether the failure is this video's.
        if lost or not still_claimed():
            raise _ClaimLost from outcome["error"]
        raise outcome["error"]
    return outcome["result"]


class _ClaimLost(Exception):
    """The video was deleted, or taken by another worker, while this one transcoded it."""


class _LatestProgress:
    """The library's progress callback: keeps only the newest figure for the next save."""

    percent = 0.0

    def __call__(self, progress: Progress) -> None:
        self.percent = progress.percent


def _heartbeat(claim: transcode_jobs.Claim, percent: float) -> bool:
    try:
        return transcode_jobs.video_heartbeat(claim=claim, progress=percent)
    except DatabaseError:
        # The encode does not need the database; if it stays away, the sweep requeues the job.
        logger.warning("Could not save progress of video %s.", claim.video_id, exc_info=True)
        close_old_connections()
        return True


@db_periodic_task(crontab(minute="*"))
def sweep_transcodes() -> None:
    """Requeue (or fail) abandoned jobs, requeue lost queue entries, remove orphaned folders."""
    for video_id, retry in transcode_jobs.videos_requeue_abandoned():
        enqueue_transcode(video_id, retry.delay)
    for path in video_files().remove_orphans():
        logger.info("Removed orphaned transcode output %s.", path)
