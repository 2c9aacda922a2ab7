"""STREAMING_X_ACCEL: Django authorizes, nginx sends the bytes (see deploy/nginx)."""

import pytest

from tests.streaming.http import body

SEGMENT_NOT_FOUND = {"detail": "Video segment not found."}


@pytest.fixture
def x_accel(settings):
    settings.STREAMING_X_ACCEL = True
    settings.STREAMING_X_ACCEL_PREFIX = "/protected-media/"
    return settings


def test_a_segment_is_handed_to_nginx(auth_client, video, x_accel):
    response = auth_client.get(f"/api/video/{video.pk}/240p/segment001.ts/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/hls/{video.pk}/240p/segment001.ts"
    assert response["Content-Type"] == "video/MP2T"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert not response.streaming
    assert response.content == b""


def test_the_thumbnail_is_handed_to_nginx(auth_client, video, x_accel):
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response["X-Accel-Redirect"] == f"/protected-media/hls/{video.pk}/thumbnail.jpg"
    assert response["Content-Type"] == "image/jpeg"


def test_the_prefix_setting_is_used(auth_client, video, x_accel):
    x_accel.STREAMING_X_ACCEL_PREFIX = "/internal/media"
    response = auth_client.get(f"/api/video/{video.pk}/240p/segment000.ts")
    assert response["X-Accel-Redirect"] == f"/internal/media/hls/{video.pk}/240p/segment000.ts"


def test_playlists_are_still_sent_by_django(auth_client, video, x_accel):
    for rung in ("240p", "1080p"):
        response = auth_client.get(f"/api/video/{video.pk}/{rung}/index.m3u8")
        assert response.status_code == 200
        assert "X-Accel-Redirect" not in response
        assert body(response).startswith(b"#EXTM3U")


def test_access_and_path_rules_still_apply(client, auth_client, make_video, x_accel):
    hidden = make_video(is_published=False)
    video = make_video()
    refused = [
        client.get(f"/api/video/{video.pk}/240p/segment000.ts"),
        auth_client.get(f"/api/video/{hidden.pk}/240p/segment000.ts"),
        auth_client.get(f"/api/video/{video.pk}/240p/..%2F..%2F{hidden.pk}%2F240p/x.ts"),
        auth_client.get(f"/api/video/{video.pk}/240p/missing.ts"),
    ]
    assert [r.status_code for r in refused] == [401, 404, 404, 404]
    assert all("X-Accel-Redirect" not in r for r in refused)
    assert refused[3].json() == SEGMENT_NOT_FOUND


def test_a_versioned_folder_is_named_through_its_stable_link(auth_client, make_video, x_accel):
    video = make_video()
    versioned = video.hls_dir.with_name(f"{video.pk}-v2")
    video.hls_dir.rename(versioned)
    video.hls_dir.symlink_to(versioned, target_is_directory=True)
    response = auth_client.get(f"/api/video/{video.pk}/240p/segment000.ts")
    assert response["X-Accel-Redirect"] == f"/protected-media/hls/{video.pk}/240p/segment000.ts"
