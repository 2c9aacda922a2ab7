from pathlib import Path, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from catalog import outputs
from catalog.languages import MAX_LANGUAGE_LENGTH, language_name, validate_language


class Category(models.TextChoices):
    ACTION = "action", "Action"
    ADVENTURE = "adventure", "Adventure"
    ANIMATION = "animation", "Animation"
    COMEDY = "comedy", "Comedy"
    CRIME = "crime", "Crime"
    DOCUMENTARY = "documentary", "Documentary"
    DRAMA = "drama", "Drama"
    FAMILY = "family", "Family"
    FANTASY = "fantasy", "Fantasy"
    HISTORY = "history", "History"
    HORROR = "horror", "Horror"
    MUSIC = "music", "Music"
    MYSTERY = "mystery", "Mystery"
    ROMANCE = "romance", "Romance"
    SCIENCE_FICTION = "science-fiction", "Science fiction"
    SPORT = "sport", "Sport"
    THRILLER = "thriller", "Thriller"
    WAR = "war", "War"
    WESTERN = "western", "Western"


# Primary keys are 64-bit; anything outside cannot exist and must not reach the database.
MAX_VIDEO_ID = 2**63 - 1


class VideoStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def output_is_live(status: str, output_live: bool) -> bool:
    """Whether a finished HLS output is being served.

    Re-transcoding a video (or failing to) leaves its previous output live, so once a
    transcode has succeeded the video keeps playing whatever its later job status is.
    """
    return status == VideoStatus.READY or output_live


# What viewers may list and play: a live output (`output_is_live`), published. One Q for the
# queries and the partial index over the catalog's order (Video.Meta), so that PostgreSQL sees
# the same predicate in both and pages and totals read the index instead of every row.
STREAMABLE = Q(is_published=True) & (Q(status=VideoStatus.READY) | Q(output_live=True))


class VideoQuerySet(models.QuerySet):
    def with_live_output(self) -> "VideoQuerySet":
        """The database form of `output_is_live`."""
        return self.filter(Q(status=VideoStatus.READY) | Q(output_live=True))

    def streamable(self) -> "VideoQuerySet":
        """What viewers may list and play: a live output, published."""
        return self.filter(STREAMABLE)


def original_upload_to(instance: "Video", filename: str) -> str:
    # A client may send either separator; only the last part names the file.
    name = PureWindowsPath(filename).name
    return f"originals/{name if name.strip('.') else 'original'}"


class Video(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.DRAMA)
    original = models.FileField(upload_to=original_upload_to, max_length=500)
    thumbnail = models.FileField(upload_to="thumbnails/", max_length=500, blank=True)

    status = models.CharField(
        max_length=16, choices=VideoStatus.choices, default=VideoStatus.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Transcode progress, 0-100.")
    error = models.TextField(blank=True, help_text="Why the last transcode failed.")
    is_published = models.BooleanField(default=False)

    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    renditions = models.JSONField(default=list, blank=True, help_text='e.g. ["480p", "720p"]')
    source_metadata = models.JSONField(default=dict, blank=True)
    output_features = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the live output offers beyond the ladder: I-frame playlists, "
        "storyboard, loudness measured and applied.",
    )
    output_live = models.BooleanField(
        default=False,
        help_text="A finished HLS output is served; it stays while the video is re-transcoded.",
    )
    output_version = models.CharField(
        max_length=32,
        blank=True,
        help_text="MEDIA_STORAGE=s3: the bucket prefix hls/<id>/<version>/ served to viewers; "
        "publishing a new output changes only this (catalog.storage).",
    )

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_videos",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    transcode_started_at = models.DateTimeField(null=True, blank=True)
    transcode_finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = VideoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["status", "is_published", "-created_at"], name="catalog_video_listing"
            ),
            # The viewers' catalog in its own order (newest first): a page reads its films off
            # the index, and the total counts index entries, not the table's rows.
            models.Index(
                fields=["-created_at", "-id"], condition=STREAMABLE, name="catalog_video_streamable"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def hls_dir(self) -> Path:
        """Where the live HLS ladder is served from: MEDIA_ROOT/hls/<id>/.

        A symlink to the current output version (see catalog.outputs): resolve it before
        checking that a requested file lies inside.
        """
        return outputs.live_dir(self.pk)

    @property
    def has_live_output(self) -> bool:
        return output_is_live(self.status, self.output_live)


def subtitle_upload_to(instance: "Subtitle", filename: str) -> str:
    # Stored files are always WebVTT, whatever the upload was called.
    return f"subtitles/{instance.video_id}/{instance.language}.vtt"


def validate_track_name(name: str) -> None:
    # The name goes into a quoted attribute of the master playlist: no quote, no line break.
    if '"' in name or any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValidationError("A track name may not contain quotes or control characters.")


class Subtitle(models.Model):
    """One subtitle track of a video: a WebVTT file (SRT uploads are converted) per language.

    Written through catalog.subtitles; listed in the master playlist when it is served.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="subtitles")
    language = models.CharField(
        max_length=MAX_LANGUAGE_LENGTH,
        validators=[validate_language],
        help_text="Language tag, e.g. en, pt-BR, zh-Hant.",
    )
    name = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_track_name],
        help_text="As players list it; empty: the language's own name.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Players show this track unless the viewer turns it off."
    )
    file = models.FileField(upload_to=subtitle_upload_to, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "language"],
                name="catalog_subtitle_one_per_language",
                violation_error_message="This video already has subtitles in this language.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.language})"

    @property
    def display_name(self) -> str:
        return self.name or language_name(self.language)


class WatchProgress(models.Model):
    """Where a viewer stopped in a film: one row per (viewer, film), overwritten by each report."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_progress"
    )
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="watch_progress")
    position_seconds = models.FloatField()
    finished = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="catalog_watch_progress_once"),
        ]
        indexes = [
            # "Continue watching": a viewer's unfinished films, most recently watched first.
            models.Index(
                fields=["user", "finished", "-updated_at"], name="catalog_watch_progress_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.position_seconds:.0f} s of {self.video_id}"
