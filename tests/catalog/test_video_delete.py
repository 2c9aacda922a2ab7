"""video_delete: the row goes, and after the commit every file of the video with it."""

import pytest
from django.db import transaction

from catalog import outputs
from catalog.models import Video
from catalog.services import video_delete
from catalog.streaminfo import stream_info
from tests.catalog.conftest import leftover_work_dir, media_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_delete_removes_every_file_after_the_commit(settings, upload, clip_small):
    upload(clip_small, title="Kept")
    files_of_others = media_files(settings.MEDIA_ROOT)
    gone = upload(clip_small, title="Gone")
    gone.refresh_from_db()
    leftover_work_dir(gone.pk)  # a leftover of an interrupted transcode
    own_files = set(media_files(settings.MEDIA_ROOT)) - set(files_of_others)
    assert {gone.original.name, f"hls/{gone.pk}"} <= own_files
    assert len(own_files) > 5  # original, link, playlists, segments, thumbnail
    thumbnail = settings.MEDIA_ROOT / gone.thumbnail.name
    assert thumbnail.is_file()
    assert stream_info(gone.pk) is not None

    with transaction.atomic():
        video_delete(video=gone)
        assert set(media_files(settings.MEDIA_ROOT)) >= own_files  # not before the commit

    assert not Video.objects.filter(pk=gone.pk).exists()
    assert stream_info(gone.pk) is None
    assert media_files(settings.MEDIA_ROOT) == files_of_others
    assert not thumbnail.exists()
    assert not list((outputs.hls_root() / outputs.WORK_FOLDER).iterdir())


def test_a_rolled_back_delete_removes_nothing(settings, upload, clip_small):
    video = upload(clip_small, title="Survives")
    files = media_files(settings.MEDIA_ROOT)

    def delete_then_fail():
        with transaction.atomic():
            video_delete(video=Video.objects.get(pk=video.pk))
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        delete_then_fail()

    assert Video.objects.filter(pk=video.pk).exists()
    assert media_files(settings.MEDIA_ROOT) == files
