"""manage.py import_sample_video: a generated film, published through the same service, once."""

import io
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from catalog.management.commands.import_sample_video import SAMPLE_TITLE
from catalog.models import Video, VideoStatus
from tests.catalog.test_worker_process import worker_database_url
from tests.support import ROOT, child_processes, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def import_sample() -> str:
    out = io.StringIO()
    call_command("import_sample_video", "--seconds=2", "--width=640", "--height=360", stdout=out)
    return out.getvalue()


def test_the_sample_is_imported_published_and_transcoded_once():
    assert "Imported the sample video" in import_sample()

    video = Video.objects.get()
    assert video.title == SAMPLE_TITLE
    assert video.is_published
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == ["240p", "360p"]
    assert video.duration == pytest.approx(2.0, abs=0.2)

    assert "already in the catalog" in import_sample()
    assert Video.objects.count() == 1


@contextmanager
def inserts_held_back():
    """Until the block ends, inserts into the catalog wait while reads go on: two imports
    started together then both reach their insert before either can commit."""
    with transaction.atomic():  # on SQLite an IMMEDIATE transaction: the write lock (settings)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE catalog_video IN SHARE MODE")
        yield


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0]


def generated(process: subprocess.Popen, folder: Path) -> bool:
    return any(folder.rglob("*.mp4")) and not child_processes(process.pid, "ffmpeg")


@pytest.mark.slow
def test_two_imports_at_once_create_exactly_one_sample(real_queue, tmp_path):
    """Two processes on the shared database (SQLite file or PostgreSQL), as two containers
    starting together would: both find no sample and generate one, exactly one inserts it."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "VAR_DIR": str(tmp_path),  # Huey's SQLite queue file without Redis
        "REDIS_URL": settings.REDIS_URL,
        "HUEY_IMMEDIATE": "false",
    }
    argv = [sys.executable, "manage.py", "import_sample_video", "--seconds=1", "--width=320"]
    folders = [tmp_path / "first", tmp_path / "second"]
    with inserts_held_back():
        imports = []
        for folder in folders:
            folder.mkdir()
            imports.append(
                subprocess.Popen(
                    [*argv, "--height=240"],
                    cwd=ROOT,
                    env={**env, "TMPDIR": str(folder)},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        if connection.vendor == "postgresql":
            wait_for(lambda: waiting_for_locks() == 2, timeout=120, what="both imports waiting")
        else:  # blocked at BEGIN, before the sample moves out of the child's TMPDIR
            both = list(zip(imports, folders, strict=True))
            wait_for(lambda: all(generated(*each) for each in both), timeout=120, what="samples")
    outputs = [process.communicate(timeout=120) for process in imports]

    assert [process.returncode for process in imports] == [0, 0], outputs
    said = sorted(stdout.decode().split(" (video")[0] for stdout, _ in outputs)
    assert said == ["Imported the sample video", "The sample video is already in the catalog"]
    video = Video.objects.get()
    assert (video.title, video.is_published) == (SAMPLE_TITLE, True)
    assert video.original.storage.exists(video.original.name)
