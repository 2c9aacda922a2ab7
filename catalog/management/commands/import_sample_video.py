"""Put a short generated film into the catalog, so a fresh installation has something to play."""

import subprocess
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from catalog.models import Category, Video
from catalog.services import video_create
from catalog.uploads import MovableFile

SAMPLE_TITLE = "Sample: test pattern"
SAMPLE_DESCRIPTION = "A generated test pattern with a 440 Hz tone, imported by `make run`."
# Any constant shared by every process importing the sample (pg_advisory_xact_lock key).
IMPORT_LOCK_KEY = 0x5646_5341_4D50  # "VFSAMP"


def generate_sample(path: Path, *, seconds: float, width: int, height: int) -> None:
    """testsrc2 picture and a sine tone, encoded fast: the point is a real, playable file."""
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-shortest", str(path),
    ]  # fmt: skip
    try:
        subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as exc:
        raise CommandError("ffmpeg is not installed: install it (apt-get install ffmpeg).") from exc
    except subprocess.CalledProcessError as exc:
        raise CommandError(f"ffmpeg could not generate the sample: {exc.stderr.strip()}") from exc


class Command(BaseCommand):
    help = "Generate a short sample video and import it, published (skipped if already there)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--width", type=int, default=1280)
        parser.add_argument("--height", type=int, default=720)

    def handle(self, *args, seconds, width, height, **options):
        if self.already_imported():
            return
        # Generated outside the lock: a concurrent import waits only for the insert, and the
        # loser of a race throws its few seconds of ffmpeg work away.
        with tempfile.TemporaryDirectory(prefix="videoflix-sample-") as folder:
            path = Path(folder) / "sample-test-pattern.mp4"
            generate_sample(path, seconds=seconds, width=width, height=height)
            with transaction.atomic():
                hold_import_lock()
                if self.already_imported():
                    return
                with path.open("rb") as source:
                    video = video_create(
                        title=SAMPLE_TITLE,
                        description=SAMPLE_DESCRIPTION,
                        category=Category.ANIMATION,
                        original=MovableFile(source, name=path.name),
                        publish=True,
                    )
        self.stdout.write(
            f"Imported the sample video (video {video.pk}); the worker transcodes it shortly."
        )

    def already_imported(self) -> bool:
        existing = Video.objects.filter(title=SAMPLE_TITLE).first()
        if existing is not None:
            self.stdout.write(f"The sample video is already in the catalog (video {existing.pk}).")
        return existing is not None


def hold_import_lock() -> None:
    """Until the transaction ends, other imports wait here, so exactly one inserts the sample.
    SQLite's transactions already hold the database's write lock from BEGIN (IMMEDIATE mode,
    see settings); PostgreSQL's READ COMMITTED needs an advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
