"""video_create: the original stored (streamed or moved), a pending row, the transcode queued
on commit."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from catalog.models import Category, Video, VideoStatus
from catalog.services import video_create
from catalog.uploads import MovableFile
from tests.catalog.conftest import media_files


def test_the_original_is_stored_and_the_transcode_waits_for_the_commit(
    upload, clip_small, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        video = upload(clip_small, title="Stored", category=Category.COMEDY, publish=True)
        assert Video.objects.get(pk=video.pk).status == VideoStatus.PENDING

    assert video.original.name == "originals/clip-small.mp4"
    assert video.original.open("rb").read() == clip_small.read_bytes()
    assert (video.title, video.category, video.is_published) == ("Stored", "comedy", True)
    assert video.uploaded_by == staff_user
    assert video.heartbeat_at is not None  # when it was queued
    assert callbacks, "the transcode is queued on commit"
    for callback in callbacks:
        callback()
    assert Video.objects.get(pk=video.pk).status == VideoStatus.READY


def test_two_uploads_with_the_same_name_keep_both_files(upload, clip_small, db):
    first, second = upload(clip_small), upload(clip_small)
    assert first.original.name != second.original.name
    assert second.original.open("rb").read() == clip_small.read_bytes()


def test_a_rolled_back_create_queues_nothing(upload, clip_small, db, real_queue):
    def create_then_fail():
        with transaction.atomic():
            upload(clip_small)
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert not Video.objects.exists()
    assert real_queue.pending_count() == 0


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(
    settings, upload, clip_small, db
):
    settings.VIDEO_UPLOAD_MAX_BYTES = clip_small.stat().st_size - 1
    with pytest.raises(ValidationError, match="uploads are limited to"):
        upload(clip_small)
    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(
    ("fields", "field"), [({"category": "telenovela"}, "category"), ({"title": ""}, "title")]
)
def test_invalid_fields_are_refused_and_nothing_is_stored(
    settings, upload, clip_small, db, fields, field
):
    with pytest.raises(ValidationError) as refused:
        upload(clip_small, **fields)
    assert field in refused.value.message_dict
    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_a_local_file_can_be_moved_instead_of_copied(settings, clip_small, tmp_path, db):
    source = tmp_path / "to-move.mp4"
    source.write_bytes(clip_small.read_bytes())
    with source.open("rb") as handle:
        video = video_create(title="Moved", original=MovableFile(handle, name=source.name))
    assert not source.exists()
    assert video.original.open("rb").read() == clip_small.read_bytes()


def test_an_upload_is_copied_in_chunks_not_read_whole(settings, clip_small, db, monkeypatch):
    reads = []

    class RecordingFile(File):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    monkeypatch.setattr(File, "DEFAULT_CHUNK_SIZE", 4096)
    with clip_small.open("rb") as handle:
        video_create(title="Chunked", original=RecordingFile(handle, name="chunked.mp4"))
    assert reads
    assert all(0 < size <= 4096 for size in reads)


@pytest.mark.parametrize(
    "name", ["../../escape.mp4", "/etc/escape.mp4", "..\\..\\escape.mp4", "..", "C:\\x\\..\\.."]
)
def test_a_hostile_file_name_stays_inside_the_originals_folder(settings, clip_small, db, name):
    with clip_small.open("rb") as handle:
        video = video_create(title="Hostile", original=File(handle, name=name))
    stored = (settings.MEDIA_ROOT / video.original.name).resolve()
    assert stored.parent == (settings.MEDIA_ROOT / "originals").resolve()
    assert stored.read_bytes() == clip_small.read_bytes()
