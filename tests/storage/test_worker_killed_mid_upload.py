"""MEDIA_STORAGE=s3: a worker SIGKILLed while it uploads a new ladder. The live version keeps
playing, the retry publishes a complete new version, and the sweep removes the half-uploaded
one. Real processes (web, worker, the S3 server), a real database and queue."""

import pytest

from tests.faults.conftest import FAST_JOBS, RUN_SWEEP, sweep_until_requeued, upload
from tests.faults.conftest import wait_for_status as wait_for_row
from tests.live_server import LiveStack
from tests.media import generate_video
from tests.storage.stacks import FreezingProxy, fetch, s3_environment, uris
from tests.support import wait_for

pytestmark = pytest.mark.slow  # real processes and real encodes


def versions(client, bucket: str, video_id: int) -> dict[str, set[str]]:
    """Each version prefix of the video with the names stored under it."""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"hls/{video_id}/"
    )
    found: dict[str, set[str]] = {}
    for page in pages:
        for item in page.get("Contents", ()):
            _, _, version, name = item["Key"].split("/", 3)
            found.setdefault(version, set()).add(name)
    return found


def plays(stack: LiveStack, token: str, video_id: int) -> bool:
    """A viewer's player: the media playlist, then its first segment from the bucket."""
    bearer = {"Authorization": f"Bearer {token}"}
    status, playlist = fetch(stack.url(f"/api/video/{video_id}/240p/index.m3u8"), bearer)
    if status != 200:
        return False
    first = uris(playlist)[0]
    status, data = fetch(first)
    return status == 200 and data[:1] == b"G"  # an MPEG-TS packet's sync byte


def test_worker_killed_mid_upload_live_version_plays_retry_publishes_orphan_swept(
    s3_server, tmp_path
):
    bucket = s3_server.fresh_bucket()
    client = s3_server.client()
    proxy = FreezingProxy(s3_server.endpoint_url, bucket)
    env = {
        **FAST_JOBS,
        **s3_environment(s3_server, bucket),
        "VIDEO_TRANSCODE_RENDITIONS": "240p,360p",
    }
    source = generate_video(tmp_path / "film.mp4", seconds=12, width=640, height=360)
    with LiveStack(tmp_path / "stack", name="killupload", env=env, periodic=False) as stack:
        stack.install()
        # The worker reaches the store through the proxy; everything else goes direct.
        through_proxy = {"S3_ENDPOINT_URL": proxy.url}
        stack.start_worker(env=through_proxy)
        stack.start_web()
        token = stack.create_user("viewer@example.com")
        video_id = upload(stack, source, "Uploaded twice")
        first = wait_for_row(stack, video_id, "ready", "failed")
        assert first["status"] == "ready", first
        live = first["output_version"]
        assert plays(stack, token, video_id)

        proxy.freeze_after(3)
        stack.shell(
            "from catalog.models import Video; from catalog.services import video_retranscode; "
            f"video_retranscode(video=Video.objects.get(pk={video_id}))"
        )
        wait_for(proxy.frozen.is_set, timeout=120, what="the worker to be mid-upload")
        wait_for(
            lambda: set(versions(client, bucket, video_id)) - {live},
            timeout=120,
            what="the uploads let through to land",
        )
        stack.kill("worker", group=False)

        half = {v: names for v, names in versions(client, bucket, video_id).items() if v != live}
        [(orphan, names)] = half.items()
        assert "master.m3u8" not in names  # half a ladder, never published
        assert stack.video(video_id)["output_version"] == live
        assert plays(stack, token, video_id)  # viewers never noticed

        sweep_until_requeued(stack, video_id)  # the dead worker's heartbeat went stale
        assert orphan not in versions(client, bucket, video_id)  # an unpublished upload: swept
        proxy.close()
        stack.start_worker()  # a fresh worker, straight to the store
        row = wait_for_row(stack, video_id, "ready", "failed")
        assert row["status"] == "ready", row
        assert row["attempts"] == 2
        assert row["output_version"] not in (live, orphan)
        assert plays(stack, token, video_id)

        # Once every URL signed for the old version has expired (the publish moved back by
        # that long rather than waited for), the sweep removes it.
        stack.shell(
            "from datetime import timedelta; from django.conf import settings; "
            "from django.utils import timezone; from catalog.models import Video; "
            f"Video.objects.filter(pk={video_id}).update(transcode_finished_at=timezone.now()"
            " - timedelta(seconds=settings.S3_SIGNED_URL_SECONDS + 1))"
        )
        stack.shell(RUN_SWEEP)
        assert set(versions(client, bucket, video_id)) == {row["output_version"]}
