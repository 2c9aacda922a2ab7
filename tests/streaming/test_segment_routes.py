"""Segment URLs: both spellings, and every way of asking for a file elsewhere is a JSON 404."""

import shutil

import pytest
from django.urls import reverse

from tests.streaming.http import body

SEGMENT_NOT_FOUND = {"detail": "Video segment not found."}
SECRET = b"SECRET-CONTENT-MUST-NOT-LEAK"


def test_the_segment_route_answers_with_and_without_trailing_slash(auth_client, video):
    expected = (video.hls_dir / "240p" / "segment001.ts").read_bytes()
    with_slash = reverse("api:video_segment", args=[video.pk, "240p", "segment001.ts"])
    assert with_slash == f"/api/video/{video.pk}/240p/segment001.ts/"
    for url in (with_slash, with_slash.rstrip("/")):
        response = auth_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "video/MP2T"
        assert body(response) == expected


def test_a_missing_segment_is_404(auth_client, video):
    response = auth_client.get(f"/api/video/{video.pk}/240p/segment999.ts")
    assert response.status_code == 404
    assert response.json() == SEGMENT_NOT_FOUND


@pytest.fixture
def planted(video, make_video, settings):
    """Targets an attacker would like: a secret file in MEDIA_ROOT, an unpublished video."""
    (settings.MEDIA_ROOT / "secret.ts").write_bytes(SECRET)
    (settings.MEDIA_ROOT / "originals").mkdir()
    (settings.MEDIA_ROOT / "originals" / "source.ts").write_bytes(SECRET)
    hidden = make_video(is_published=False)
    shutil.copy(settings.MEDIA_ROOT / "secret.ts", hidden.hls_dir / "240p" / "segment000.ts")
    return {"video": video, "hidden": hidden}


TRAVERSALS = [
    # plain and percent-encoded dots and slashes (the server decodes %2F before routing)
    "{v}/240p/../../../secret.ts",
    "{v}/240p/..%2F..%2F..%2Fsecret.ts",
    "{v}/240p/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.ts",
    "{v}/%2e%2e/index.m3u8",
    "{v}/240p/%2e%2e/",
    "{v}/..%2F{h}%2F240p/segment000.ts",
    "{v}/240p/..%2F..%2F{h}%2F240p%2Fsegment000.ts",
    "{v}/240p/%252e%252e%252fsecret.ts",
    # absolute paths
    "{v}/240p//etc/passwd",
    "{v}/240p/%2Fetc%2Fpasswd",
    "{v}//etc/passwd/index.m3u8",
    # NUL bytes, backslashes, newlines
    "{v}/240p/segment000.ts%00.jpg",
    "{v}/240p%00/index.m3u8",
    "{v}/240p/..%5C..%5C..%5Csecret.ts",
    "{v}/240p%5C..%5C..%5C/index.m3u8",
    "{v}/240p%0A/index.m3u8",
    "{v}/240p/segment000.ts%0A",
    # overlong and otherwise malformed names
    "{v}/240p/" + "a" * 65 + ".ts",
    "{v}/240p/" + "a" * 5000 + ".ts",
    "{v}/" + "1" * 5 + "p/index.m3u8",
    "{v}/240p/segment000.mp4",
    "{v}/240p/index.m3u8/",
    "{v}/240p/.ts",
    "{v}/%D9%A7%D9%A2%D9%A0p/index.m3u8",
    # other files of the folder or deeper paths
    "{v}/240p/master.m3u8",
    "{v}/240p/segment000.ts/extra",
    "{v}/240p/a/b/c/d.ts",
]


@pytest.mark.parametrize("template", TRAVERSALS)
def test_traversal_attempts_are_404_and_leak_nothing(auth_client, planted, template):
    url = "/api/video/" + template.format(v=planted["video"].pk, h=planted["hidden"].pk)
    response = auth_client.get(url)
    assert response.status_code == 404, url
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == SEGMENT_NOT_FOUND
    assert SECRET not in body(response)


def test_symlinks_planted_in_the_folder_are_404(auth_client, planted, settings):
    rung = planted["video"].hls_dir / "240p"
    (rung / "evil.ts").symlink_to(settings.MEDIA_ROOT / "secret.ts")
    (rung / "neighbour.ts").symlink_to(planted["hidden"].hls_dir / "240p" / "segment000.ts")
    (planted["video"].hls_dir / "999p").symlink_to(
        planted["hidden"].hls_dir / "240p", target_is_directory=True
    )
    for name in ("240p/evil.ts", "240p/neighbour.ts", "999p/segment000.ts"):
        response = auth_client.get(f"/api/video/{planted['video'].pk}/{name}")
        assert response.status_code == 404, name
        assert response.json() == SEGMENT_NOT_FOUND


def test_a_playlist_symlinked_to_another_videos_playlist_is_404(auth_client, planted):
    playlist = planted["video"].hls_dir / "240p" / "index.m3u8"
    playlist.unlink()
    playlist.symlink_to(planted["hidden"].hls_dir / "240p" / "index.m3u8")
    response = auth_client.get(f"/api/video/{planted['video'].pk}/240p/index.m3u8")
    assert response.status_code == 404


def test_traversal_without_a_token_is_401_and_touches_nothing(client, planted):
    response = client.get(f"/api/video/{planted['video'].pk}/240p/..%2F..%2F..%2Fsecret.ts")
    assert response.status_code == 401
    assert SECRET not in response.content
