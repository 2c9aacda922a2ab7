from pathlib import Path

from django.conf import settings
from django.db import models


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


class VideoStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def original_upload_to(instance: "Video", filename: str) -> str:
    return f"originals/{Path(filename).name}"


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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["status", "is_published", "-created_at"], name="catalog_video_listing"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def hls_dir(self) -> Path:
        """Where the finished HLS ladder of this video lives: MEDIA_ROOT/hls/<id>/."""
        return Path(settings.MEDIA_ROOT) / "hls" / str(self.pk)

    @property
    def is_streamable(self) -> bool:
        return self.status == VideoStatus.READY and self.is_published
