from datetime import datetime

from django.utils import timezone
from ninja import Schema

from catalog.links import stream_url
from catalog.models import Video, VideoStatus


class VideoListOut(Schema):
    id: int
    created_at: datetime
    title: str
    description: str
    thumbnail_url: str | None
    category: str

    @staticmethod
    def resolve_thumbnail_url(video: Video, context) -> str | None:
        if not video.thumbnail:
            return None
        return stream_url(context["request"], "video_thumbnail", video.pk)

    @staticmethod
    def resolve_category(video: Video) -> str:
        return video.get_category_display()


class VideoDetailOut(VideoListOut):
    duration: float | None
    renditions: list[str]
    master_url: str | None

    @staticmethod
    def resolve_master_url(video: Video, context) -> str | None:
        if not video.has_live_output:
            return None
        return stream_url(context["request"], "video_master", video.pk)


class VideoStatusOut(Schema):
    id: int
    status: VideoStatus
    progress: int
    error: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    transcode_started_at: datetime | None
    transcode_finished_at: datetime | None
    heartbeat_at: datetime | None
    transcode_seconds: float | None

    @staticmethod
    def resolve_transcode_seconds(video: Video) -> float | None:
        """How long the last transcode took, or has been running so far."""
        if video.transcode_started_at is None:
            return None
        if video.status == VideoStatus.PROCESSING:
            end = timezone.now()
        elif video.transcode_finished_at is not None:
            end = video.transcode_finished_at
        else:
            return None  # an attempt that failed and waits for its retry
        return round((end - video.transcode_started_at).total_seconds(), 1)


class TranscodeAcceptedOut(Schema):
    detail: str
    video_id: int


class VideoRecordOut(VideoStatusOut):
    """Everything staff know about a video: the upload command prints it with --json."""

    title: str
    description: str
    category: str
    is_published: bool
    duration: float | None
    width: int | None
    height: int | None
    renditions: list[str]
    original: str
    uploaded_by: str | None

    @staticmethod
    def resolve_original(video: Video) -> str:
        return video.original.name

    @staticmethod
    def resolve_uploaded_by(video: Video) -> str | None:
        return video.uploaded_by.email if video.uploaded_by else None
