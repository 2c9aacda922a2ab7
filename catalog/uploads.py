"""How video files enter storage: size-checked, and streamed or moved, never read into memory."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat


def validate_upload_size(file: File, limit: int | None = None) -> None:
    """Refuse a file above `limit` bytes (a video above VIDEO_UPLOAD_MAX_BYTES by default)."""
    limit = settings.VIDEO_UPLOAD_MAX_BYTES if limit is None else limit
    if file.size > limit:
        raise ValidationError(
            f"The file is {filesizeformat(file.size)}; "
            f"uploads are limited to {filesizeformat(limit)}.",
            code="too_large",
        )


class MovableFile(File):
    """A local file that storage moves into place, as it does with a large upload's temp file."""

    def temporary_file_path(self) -> str:
        return self.file.name
