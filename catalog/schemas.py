from datetime import datetime
from typing import Annotated

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import Strict

from catalog.links import stream_url
from catalog.models import Video, VideoStatus
from catalog.watch_progress import progress_percent


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


class LoudnessOut(Schema):
    integrated_lufs: float | None = Field(description="Measured on the source; null: silent.")
    true_peak_dbtp: float | None
    target_lufs: float
    gain_db: float = Field(description="The one gain applied in the encode.")
    peak_limited: bool = Field(description="The gain stopped short of the target at -1 dBTP.")


class SubtitleOut(Schema):
    language: str = Field(description="Language tag, e.g. `en`, `pt-BR`.")
    name: str = Field(description="What players list the track as.")
    is_default: bool
    url: str = Field(description="The WebVTT file, for a `<track>` element.")


class VideoDetailOut(VideoListOut):
    duration: float | None
    renditions: list[str]
    master_url: str | None
    has_iframe_playlists: bool = Field(
        description="The master playlist lists an I-frame playlist per rung (trick play)."
    )
    storyboard_url: str | None = Field(
        description="WebVTT of scrubbing previews (`#xywh=` tiles of JPEG sprites), if any."
    )
    loudness: LoudnessOut | None = Field(
        description="Loudness of the default audio track; null: no audio or not normalised."
    )
    subtitles: list[SubtitleOut] = Field(
        default=[],
        description="Subtitle tracks; the master playlist lists them too (`EXT-X-MEDIA`).",
    )
    position_seconds: float | None = Field(
        None, description="Where the viewer last stopped in this film; null: never started."
    )

    @staticmethod
    def resolve_master_url(video: Video, context) -> str | None:
        if not video.has_live_output:
            return None
        return stream_url(context["request"], "video_master", video.pk)

    @staticmethod
    def resolve_has_iframe_playlists(video: Video) -> bool:
        return video.has_live_output and bool(video.output_features.get("iframe_playlists"))

    @staticmethod
    def resolve_storyboard_url(video: Video, context) -> str | None:
        if not (video.has_live_output and video.output_features.get("storyboard")):
            return None
        return stream_url(context["request"], "video_storyboard", video.pk)

    @staticmethod
    def resolve_loudness(video: Video) -> dict | None:
        return video.output_features.get("loudness") if video.has_live_output else None

    @staticmethod
    def resolve_subtitles(video: Video, context) -> list[dict]:
        if not video.has_live_output:
            return []
        request = context["request"]
        return [
            {
                "language": subtitle.language,
                "name": subtitle.display_name,
                "is_default": subtitle.is_default,
                "url": request.build_absolute_uri(
                    reverse("api:video_subtitle", args=[video.pk, subtitle.language])
                ),
            }
            for subtitle in video.subtitles.all()
        ]


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


class WatchProgressIn(Schema):
    # Strict: a number, never a string or a boolean coerced into one; NaN and infinity refused.
    position_seconds: Annotated[float, Strict()] = Field(
        ge=0, allow_inf_nan=False, description="Seconds from the start; past the end: the end."
    )


class WatchProgressOut(Schema):
    video_id: int
    position_seconds: float = Field(description="As recorded: clamped to the film's end.")
    duration: float | None
    progress_percent: float | None
    finished: bool = Field(description="Watched 95 % or more: left out of continue watching.")
    updated_at: datetime

    @staticmethod
    def resolve_progress_percent(progress) -> float | None:
        return progress_percent(progress.position_seconds, progress.duration)


class ContinueWatchingOut(VideoListOut):
    duration: float | None
    position_seconds: float
    progress_percent: float | None
    watched_at: datetime

    @staticmethod
    def resolve_progress_percent(video: Video) -> float | None:
        return progress_percent(video.position_seconds, video.duration)


class CategoryOut(Schema):
    slug: str = Field(description="What `GET /api/video/?category=` takes.")
    name: str = Field(description="As the list's `category` field shows it.")
    count: int = Field(description="Streamable films in the category.")
