"""manage.py upload_video: store, queue, wait with a progress bar, print JSON; clear failures."""

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from catalog.models import Video, VideoStatus
from tests.catalog.conftest import media_files
from tests.storage.store_settings import reconfigure_store
from tests.support import ROOT, free_port

pytestmark = pytest.mark.django_db(transaction=True)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def upload_video(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), options.pop("stderr", io.StringIO())
    call_command("upload_video", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_json_describes_the_stored_video(clip_small, staff_user):
    out, _ = upload_video(
        clip_small,
        "--title=From the shell",
        "--description=Typed in a terminal.",
        "--category=Science fiction",
        f"--owner={staff_user.email.upper()}",
        "--publish",
        "--json",
    )

    record = json.loads(out)
    video = Video.objects.get()
    assert record["id"] == video.pk
    assert record["title"] == "From the shell"
    assert record["description"] == "Typed in a terminal."
    assert record["category"] == "science-fiction"
    assert record["uploaded_by"] == staff_user.email
    assert record["is_published"] is True
    assert record["original"] == video.original.name
    assert record["status"] == VideoStatus.READY  # Huey runs in-process in these tests
    assert record["renditions"] == ["240p"]
    assert clip_small.exists()  # copied, not moved


def test_wait_shows_a_progress_bar_on_a_terminal(clip_small):
    terminal = Terminal()
    out, _ = upload_video(clip_small, "--title=Watched", "--wait", stderr=terminal)

    assert "[##############################] 100% Ready" in terminal.getvalue()
    assert "is ready: 240p, 2.0 s." in out


def test_wait_without_a_terminal_prints_status_lines(clip_small):
    _, err = upload_video(clip_small, "--title=Logged", "--wait")
    assert "#" not in err
    assert err.strip().endswith(": ready")


def test_move_takes_the_file_away(clip_small, tmp_path):
    source = tmp_path / "to-move.mp4"
    source.write_bytes(clip_small.read_bytes())

    upload_video(source, "--title=Moved", "--move")

    assert not source.exists()
    assert Video.objects.get().original.open("rb").read() == clip_small.read_bytes()


def test_move_in_s3_mode_removes_the_file_once_it_is_in_the_bucket(s3_media, clip_small, tmp_path):
    source = tmp_path / "to-move.mp4"
    source.write_bytes(clip_small.read_bytes())

    upload_video(source, "--title=Moved to the bucket", "--move")

    assert not source.exists()
    stored = s3_media.get_object(
        Bucket=django_settings.S3_BUCKET, Key=Video.objects.get().original.name
    )
    assert stored["Body"].read() == clip_small.read_bytes()


def test_move_in_s3_mode_keeps_the_file_when_the_upload_fails(
    s3_media, settings, clip_small, tmp_path
):
    reconfigure_store(settings, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    source = tmp_path / "to-move.mp4"
    source.write_bytes(clip_small.read_bytes())

    with pytest.raises(CommandError, match=r"cannot be reached\. Nothing was stored"):
        upload_video(source, "--title=Not moved", "--move")

    assert source.read_bytes() == clip_small.read_bytes()
    assert not Video.objects.exists()


def test_a_failed_transcode_with_wait_fails_the_command(settings, clip_small, kill_ffmpeg):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 1
    with kill_ffmpeg(times=1), pytest.raises(CommandError, match="failed: ffmpeg was killed"):
        upload_video(clip_small, "--title=Doomed", "--wait")
    assert Video.objects.get().status == VideoStatus.FAILED


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--owner=nobody@example.com"], "No user has the email address nobody@example.com."),
        (["--category=telenovela"], "Unknown category 'telenovela'; choose one of: action,"),
    ],
)
def test_bad_options_fail_and_store_nothing(settings, clip_small, arguments, message):
    with pytest.raises(CommandError, match=message):
        upload_video(clip_small, "--title=Refused", *arguments)
    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.slow  # a manage.py process each
@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda media: media / "missing.mp4", "No such file: "),
        (lambda media: media / "notes.mp4", "is not a usable video: "),
    ],
)
def test_a_missing_or_non_video_file_exits_non_zero_with_a_clear_message(
    settings, not_a_video, make_path, message
):
    path = make_path(not_a_video.parent)
    result = subprocess.run(
        [sys.executable, "manage.py", "upload_video", str(path), "--title", "Refused"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
