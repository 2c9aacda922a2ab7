"""Subtitle tracks: the writes staff ask for, and what streaming reads of them (cached).

A track's file is stored through Django's storage as UTF-8 WebVTT (SRT is converted on the
way in), so it follows the media wherever the storage puts it. Adding or removing a track
changes no transcode output: streaming lists the tracks when it serves the master playlist.
Every write touches the video's `updated_at` and drops its cached stream facts on commit,
which also retires the cached track list (its key names that `updated_at`).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.languages import clean_language
from catalog.models import Subtitle, Video
from catalog.streaminfo import CACHE_SECONDS, StreamInfo, invalidate_on_commit
from catalog.uploads import validate_upload_size
from catalog.webvtt import SubtitleFormatError, webvtt_from_bytes

EDITABLE_FIELDS = ("language", "name", "is_default")


def webvtt_from_upload(file: File) -> str:
    """The WebVTT text of an uploaded SRT or WebVTT file; raises ValidationError saying why
    a file is refused (too large, not UTF-8, not parseable, no cues)."""
    validate_upload_size(file, settings.SUBTITLE_UPLOAD_MAX_BYTES)
    file.seek(0)
    data = file.read()
    file.seek(0)
    try:
        return webvtt_from_bytes(data)
    except SubtitleFormatError as exc:
        raise ValidationError(str(exc), code="malformed") from exc


@transaction.atomic
def subtitle_create(
    *, video: Video, language: str, file: File, name: str = "", is_default: bool = False
) -> Subtitle:
    """Add a track: convert and check the file, then store it. Raises ValidationError for a
    bad language tag or name, a language the video already has, or a malformed file."""
    subtitle = Subtitle(video=video, language=clean_language(language), name=name.strip())
    subtitle.full_clean(exclude=["file"])
    vtt = webvtt_from_upload(file)
    if is_default:
        _clear_default(video.pk)
    subtitle.is_default = is_default
    _store(subtitle, vtt)
    _touch(video.pk)
    return subtitle


@transaction.atomic
def subtitle_update(*, subtitle: Subtitle, data: dict, file: File | None = None) -> Subtitle:
    """Change a track's language, name or default flag, and replace its file if `file` is
    given; the replaced file is removed after the commit."""
    changed = [field for field in EDITABLE_FIELDS if field in data]
    for field in changed:
        setattr(subtitle, field, data[field])
    subtitle.language = clean_language(subtitle.language)
    subtitle.name = subtitle.name.strip()
    subtitle.full_clean(exclude=["file"])
    if subtitle.is_default:
        _clear_default(subtitle.video_id, keep=subtitle.pk)
    if file is None:
        subtitle.save(update_fields=[*changed, "updated_at"])
    else:
        vtt = webvtt_from_upload(file)
        replaced = subtitle.file.name
        _store(subtitle, vtt)
        transaction.on_commit(lambda: subtitle.file.storage.delete(replaced))
    _touch(subtitle.video_id)
    return subtitle


@transaction.atomic
def subtitle_delete(*, subtitle: Subtitle) -> None:
    """Remove a track; its file goes after the commit."""
    file = subtitle.file
    video_id = subtitle.video_id
    subtitle.delete()
    transaction.on_commit(lambda: file.delete(save=False))
    _touch(video_id)


def _store(subtitle: Subtitle, vtt: str) -> None:
    """Save the file, then the row; a row that cannot be saved takes its new file along."""
    subtitle.file.save("subtitles.vtt", ContentFile(vtt.encode("utf-8")), save=False)
    try:
        subtitle.save()
    except BaseException:
        subtitle.file.delete(save=False)
        raise


def _clear_default(video_id: int, keep: int | None = None) -> None:
    """A video has at most one default track: marking one unmarks the others."""
    Subtitle.objects.filter(video_id=video_id, is_default=True).exclude(pk=keep).update(
        is_default=False, updated_at=timezone.now()
    )


def _touch(video_id: int) -> None:
    Video.objects.filter(pk=video_id).update(updated_at=timezone.now())
    invalidate_on_commit(video_id)


# --- what streaming and the catalog read -------------------------------------------------


@dataclass(frozen=True)
class SubtitleTrack:
    language: str
    name: str
    is_default: bool
    file: str  # storage name
    version: str  # changes whenever the row or its file does
    modified: int  # Unix time of the last change

    def open(self):
        return Subtitle._meta.get_field("file").storage.open(self.file, "rb")


@dataclass(frozen=True)
class SubtitleTracks:
    duration: float
    tracks: tuple[SubtitleTrack, ...]

    def track(self, language: str) -> SubtitleTrack | None:
        return next((track for track in self.tracks if track.language == language), None)


def subtitle_tracks(info: StreamInfo) -> SubtitleTracks:
    """The tracks of the video `info` describes, with its duration: one query while the
    stream facts stay the same, none after that until they change."""
    key = f"catalog:subtitles:{info.video_id}:{info.updated_at}"
    found = caches["hot"].get(key)
    if found is not None:
        return found
    duration = Video.objects.filter(pk=info.video_id).values_list("duration", flat=True).first()
    found = SubtitleTracks(
        duration=duration or 0.0,
        tracks=tuple(
            SubtitleTrack(
                language=row.language,
                name=row.display_name,
                is_default=row.is_default,
                file=row.file.name,
                version=f"{row.pk:x}-{row.updated_at.timestamp():.6f}",
                modified=int(row.updated_at.timestamp()),
            )
            for row in Subtitle.objects.filter(video_id=info.video_id)
        ),
    )
    caches["hot"].set(key, found, CACHE_SECONDS)
    return found
