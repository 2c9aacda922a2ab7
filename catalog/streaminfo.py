"""What streaming needs to know about a video, cached briefly so most requests skip the database.

Every write that changes a video's status, publication, renditions or output must call
`invalidate_on_commit(video_id)` (the catalog services and transcode jobs do).
"""

from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from catalog.models import MAX_VIDEO_ID, Video, output_is_live

CACHE_SECONDS = getattr(settings, "STREAM_INFO_CACHE_SECONDS", 30)


@dataclass(frozen=True)
class StreamInfo:
    video_id: int
    ready: bool
    published: bool
    renditions: tuple[str, ...]
    thumbnail: str
    updated_at: float
    # Seconds; None when unknown. A default, so facts cached by an older release still load.
    duration: float | None = None
    output_version: str = ""  # the live output's bucket prefix in s3 mode (catalog.storage)


def _cache_key(video_id: int) -> str:
    return f"catalog:stream-info:{video_id}"


def stream_info(video_id: int) -> StreamInfo | None:
    """The cached streaming facts of a video, or None when no such video exists."""
    info = caches["hot"].get(_cache_key(video_id))
    if info is not None:
        return info
    row = (
        Video.objects.filter(pk=video_id)
        .values(
            "status",
            "output_live",
            "is_published",
            "renditions",
            "thumbnail",
            "updated_at",
            "duration",
            "output_version",
        )
        .first()
    )
    if row is None:
        return None
    info = StreamInfo(
        video_id=video_id,
        # A video being re-transcoded keeps playing its previous output.
        ready=output_is_live(row["status"], row["output_live"]),
        published=row["is_published"],
        renditions=tuple(row["renditions"] or ()),
        thumbnail=row["thumbnail"] or "",
        updated_at=row["updated_at"].timestamp(),
        duration=row["duration"],
        output_version=row["output_version"],
    )
    caches["hot"].set(_cache_key(video_id), info, CACHE_SECONDS)
    return info


def stream_for_viewer(*, video_id: int, user) -> StreamInfo | None:
    """The stream facts of a video the user may watch, else None.

    Viewers see ready and published videos; staff may also preview ready videos that
    are not published yet. Costs no query while the stream facts are cached, one
    indexed query otherwise; `user` is the one authentication already loaded.
    """
    if not 0 < video_id <= MAX_VIDEO_ID:
        return None
    info = stream_info(video_id)
    return info if info is not None and may_watch(info, user) else None


def may_watch(info: StreamInfo, user) -> bool:
    """The access rule: ready and published, or ready and `user` is staff."""
    return info.ready and (info.published or user.is_staff)


def stream_info_invalidate(video_id: int) -> None:
    caches["hot"].delete(_cache_key(video_id))


def invalidate_on_commit(video_id: int) -> None:
    """Drop the cached facts once the write commits: before it, a reader would cache them again."""
    transaction.on_commit(partial(stream_info_invalidate, video_id))
