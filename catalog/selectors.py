"""Reads of the catalog."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from catalog.models import Video, VideoStatus

LIST_FIELDS = ("id", "created_at", "title", "description", "category", "thumbnail")


def video_list_streamable() -> QuerySet[Video]:
    """The viewers' catalog: one query whatever its size."""
    return Video.objects.streamable().only(*LIST_FIELDS).order_by("-created_at", "-id")


def video_get_visible(*, video_id: int, staff: bool) -> Video | None:
    """A video a viewer may see (streamable), or any video for staff previewing."""
    videos = Video.objects.all() if staff else Video.objects.streamable()
    return videos.filter(pk=video_id).first()


def video_busy_flags(video_ids: Iterable[int]) -> dict[int, bool]:
    """For each existing video among `video_ids`: whether a transcode is running."""
    rows = Video.objects.filter(pk__in=list(video_ids)).values_list("pk", "status")
    return {pk: status == VideoStatus.PROCESSING for pk, status in rows}


@dataclass(frozen=True)
class VersionFacts:
    """What the sweep needs to know of an existing video."""

    live_version: str
    busy: bool  # a transcode is running: it may be uploading a new version right now
    live_since: datetime | None  # when the live version was published


def video_version_facts(video_ids: Iterable[int]) -> dict[int, VersionFacts]:
    """For each existing video among `video_ids`: its live version, whether a transcode is
    running, and since when the live version has been published."""
    rows = Video.objects.filter(pk__in=list(video_ids)).values_list(
        "pk", "output_version", "status", "transcode_finished_at"
    )
    return {
        pk: VersionFacts(version, status == VideoStatus.PROCESSING, finished)
        for pk, version, status, finished in rows
    }
