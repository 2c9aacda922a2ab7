"""Writes people ask for: upload, edit, publish, re-transcode, delete.

What a write implies outside the database (queueing a transcode, invalidating the cached
stream facts, removing files) happens after the commit: a rolled-back write queues nothing
and removes nothing.
"""

from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog import outputs
from catalog.models import Category, Video, VideoStatus
from catalog.streaminfo import invalidate_on_commit
from catalog.tasks import enqueue_transcode
from catalog.uploads import validate_upload_size

EDITABLE_FIELDS = ("title", "description", "category", "is_published")


class VideoBusyError(Exception):
    """The video is being transcoded right now."""

    def __init__(self) -> None:
        super().__init__(
            "This video is being transcoded right now; try again once that has finished."
        )


def _enqueue_on_commit(video_id: int) -> None:
    # robust: a queue that is down must not fail the committed write; the periodic sweep
    # queues videos left pending for too long.
    transaction.on_commit(partial(enqueue_transcode, video_id), robust=True)


@transaction.atomic
def video_create(
    *,
    title: str,
    original: File,
    description: str = "",
    category: str = Category.DRAMA,
    uploaded_by: User | None = None,
    publish: bool = False,
) -> Video:
    """Store the original (streamed, or moved when it is a local temporary file) and queue
    its transcode. Raises ValidationError for a bad title or category or an oversized file."""
    validate_upload_size(original)
    video = Video(
        title=title,
        description=description,
        category=category,
        is_published=publish,
        uploaded_by=uploaded_by,
        heartbeat_at=timezone.now(),  # queued at
    )
    video.full_clean(exclude=["original"])
    video.original.save(Path(original.name).name, original, save=False)
    try:
        video.save()
    except BaseException:
        video.original.delete(save=False)
        raise
    _enqueue_on_commit(video.pk)
    invalidate_on_commit(video.pk)
    return video


@transaction.atomic
def video_update(*, video: Video, data: dict) -> Video:
    """Change what staff may edit: title, description, category, publication."""
    changed = [field for field in EDITABLE_FIELDS if field in data]
    for field in changed:
        setattr(video, field, data[field])
    video.full_clean()
    video.save(update_fields=[*changed, "updated_at"])
    invalidate_on_commit(video.pk)
    return video


@transaction.atomic
def video_publish(*, video: Video) -> Video:
    return video_update(video=video, data={"is_published": True})


@transaction.atomic
def video_unpublish(*, video: Video) -> Video:
    return video_update(video=video, data={"is_published": False})


@transaction.atomic
def video_retranscode(*, video: Video) -> Video:
    """Queue a fresh transcode with a fresh attempt budget; the live output keeps playing until
    the new one replaces it. Raises VideoBusyError while a transcode runs."""
    now = timezone.now()
    queued = (
        Video.objects.filter(pk=video.pk)
        .exclude(status=VideoStatus.PROCESSING)
        .update(
            status=VideoStatus.PENDING,
            progress=0,
            error="",
            attempts=0,
            heartbeat_at=now,
            updated_at=now,
        )
    )
    if not queued:
        raise VideoBusyError
    video.refresh_from_db()
    _enqueue_on_commit(video.pk)
    invalidate_on_commit(video.pk)
    return video


@transaction.atomic
def video_delete(*, video: Video) -> None:
    """Delete the record; the original, every HLS output, the thumbnail and the subtitle files
    go after the commit.

    A transcode still running notices at its next heartbeat and stops.
    """
    video_id = video.pk
    storage, original_name = video.original.storage, video.original.name
    subtitle_files = [subtitle.file for subtitle in video.subtitles.all()]
    video.delete()

    def remove_files() -> None:
        outputs.remove_all(video_id)
        if original_name:
            storage.delete(original_name)
        for file in subtitle_files:
            file.delete(save=False)

    transaction.on_commit(remove_files)
    invalidate_on_commit(video_id)
