"""MEDIA_STORAGE=s3 end to end on a real S3 server: upload, transcode on scratch, versioned
publish, the sweep of superseded and orphan versions, delete. Real ffmpeg, rows and bucket."""

import botocore.session
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from catalog import outputs, tasks
from catalog.models import Video, VideoStatus
from catalog.services import video_delete, video_retranscode
from catalog.storage import BucketFiles, video_files
from tests.storage.stacks import fetch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # real transcodes


def keys(client, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket_name(), Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))


def bucket_name() -> str:
    from django.conf import settings

    return settings.S3_BUCKET


def versions(client, video_id: int) -> set[str]:
    return {key.split("/")[2] for key in keys(client, f"hls/{video_id}/")}


def test_upload_lands_in_the_bucket_and_the_ladder_is_published_under_a_version(
    s3_media, upload, clip_small, settings, admin_client
):
    video = upload(clip_small, title="In the bucket", publish=True)

    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert isinstance(video_files(), BucketFiles)
    # The original went to the bucket, not to MEDIA_ROOT.
    assert keys(s3_media, "originals/") == [video.original.name]
    assert not (settings.MEDIA_ROOT / "originals").exists()
    version = video.output_version
    assert len(version) == 24
    prefix = f"hls/{video.pk}/{version}/"
    stored = keys(s3_media, f"hls/{video.pk}/")
    assert f"{prefix}master.m3u8" in stored
    assert f"{prefix}240p/index.m3u8" in stored
    assert any(key.startswith(f"{prefix}240p/") and key.endswith(".ts") for key in stored)
    assert video.thumbnail.name == f"{prefix}thumbnail.jpg"
    thumbnail = s3_media.get_object(Bucket=bucket_name(), Key=video.thumbnail.name)
    assert thumbnail["ContentType"] == "image/jpeg"
    assert thumbnail["Body"].read(2) == b"\xff\xd8"
    segment = next(key for key in stored if key.endswith(".ts"))
    assert s3_media.head_object(Bucket=bucket_name(), Key=segment)["ContentType"] == "video/MP2T"
    # Scratch is gone; nothing of the output was left below MEDIA_ROOT.
    assert not list((outputs.hls_root() / outputs.WORK_FOLDER).iterdir())
    assert not (outputs.hls_root() / str(video.pk)).exists()
    # Staff's thumbnail in the admin comes from the bucket too, by a presigned URL.
    response = admin_client.get(reverse("admin:catalog_video_thumbnail", args=[video.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.S3_ENDPOINT_URL}/{bucket_name()}/hls/")
    status, data = fetch(response["Location"])
    assert (status, data[:2]) == (200, b"\xff\xd8")


def test_a_retranscode_publishes_a_new_version_and_the_sweep_removes_the_old_after_the_grace(
    s3_media, upload, clip_small, settings
):
    video = upload(clip_small, publish=True)
    video.refresh_from_db()
    first = video.output_version

    video_retranscode(video=video)
    video.refresh_from_db()
    second = video.output_version
    assert video.status == VideoStatus.READY, video.error
    assert second > first  # versions sort by creation time
    assert versions(s3_media, video.pk) == {first, second}

    # Players may still hold URLs signed for the old version: kept within the grace.
    settings.S3_SIGNED_URL_SECONDS = 3600
    tasks.sweep_transcodes.call_local()
    assert versions(s3_media, video.pk) == {first, second}

    settings.S3_SIGNED_URL_SECONDS = 0  # every URL signed for it has expired
    tasks.sweep_transcodes.call_local()
    assert versions(s3_media, video.pk) == {second}
    assert default_storage.exists(video.original.name)  # originals are never swept


def test_an_unpublished_version_is_an_orphan_unless_its_video_is_being_transcoded(
    s3_media, upload, clip_small, settings, tmp_path
):
    settings.S3_SIGNED_URL_SECONDS = 3600
    video = upload(clip_small, publish=True)
    video.refresh_from_db()
    live = video.output_version
    # What an interrupted upload leaves: a version the row never named.
    built = tmp_path / "built"
    (built / "240p").mkdir(parents=True)
    (built / "240p" / "segment000.ts").write_bytes(b"half a ladder")
    (built / "master.m3u8").write_text("#EXTM3U\n")
    orphan = video_files().stage(video.pk, built)
    assert versions(s3_media, video.pk) == {live, orphan}

    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING)
    tasks.sweep_transcodes.call_local()
    assert versions(s3_media, video.pk) == {live, orphan}  # that upload may still be running

    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PENDING)
    tasks.sweep_transcodes.call_local()
    assert versions(s3_media, video.pk) == {live}


def test_delete_removes_every_version_and_the_original(s3_media, upload, clip_small):
    video = upload(clip_small, publish=True)
    video.refresh_from_db()
    assert keys(s3_media, f"hls/{video.pk}/")

    video_delete(video=video)

    assert keys(s3_media) == []


def test_the_sweep_removes_versions_of_videos_that_no_longer_exist(s3_media, tmp_path):
    built = tmp_path / "built"
    built.mkdir()
    (built / "master.m3u8").write_text("#EXTM3U\n")
    video_files().stage(987654, built)
    assert keys(s3_media, "hls/987654/")

    tasks.sweep_transcodes.call_local()

    assert keys(s3_media) == []


def test_a_ladder_goes_up_through_the_workers_client_not_a_new_one_per_upload_thread(
    s3_media, tmp_path, monkeypatch
):
    # django-storages builds a boto3 session and client per thread on first use, tens of ms
    # of CPU each: eight of them per published ladder cost more than the upload itself
    # (benchmarks/README.md, "s3 and local transcodes side by side").
    built = tmp_path / "built"
    expected = ["master.m3u8"]
    for rung in ("240p", "360p"):
        (built / rung).mkdir(parents=True)
        for number in range(12):
            (built / rung / f"segment{number:03d}.ts").write_bytes(bytes([number]) * 2048)
            expected.append(f"{rung}/segment{number:03d}.ts")
        (built / rung / "index.m3u8").write_text("#EXTM3U\n")
        expected.append(f"{rung}/index.m3u8")
    (built / "master.m3u8").write_text("#EXTM3U\n")
    files = video_files()
    assert files.worker_client  # the worker's job has one already: it copied the original down
    clients = []
    build_client = botocore.session.Session.create_client
    monkeypatch.setattr(
        botocore.session.Session,
        "create_client",
        lambda self, *args, **kwargs: clients.append(1) or build_client(self, *args, **kwargs),
    )

    version = files.stage(42, built)

    assert clients == []  # every boto3 client, django-storages' included, is built here
    prefix = f"hls/42/{version}/"
    assert keys(s3_media, prefix) == sorted(prefix + name for name in expected)
    segment = s3_media.get_object(Bucket=bucket_name(), Key=f"{prefix}360p/segment011.ts")
    assert segment["Body"].read() == bytes([11]) * 2048
    assert segment["ContentType"] == "video/MP2T"
