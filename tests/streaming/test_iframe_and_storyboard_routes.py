"""I-frame playlists and the storyboard: served under the same rules as what they sit beside."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from tests.streaming.http import body

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_NOT_FOUND = {"detail": "Video segment not found."}
STORYBOARD_NOT_FOUND = {"detail": "Storyboard not found."}
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)@(\d+)")


def entries(playlist: bytes) -> list[tuple[int, int, str]]:
    """(length, offset, uri) of each I-frame."""
    lines = playlist.decode().splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _BYTERANGE.fullmatch(line)
        if match:
            found.append((int(match[1]), int(match[2]), lines[i + 1]))
    return found


def master_iframe_uris(client, video) -> list[str]:
    master = body(client.get(f"/api/video/{video.pk}/master.m3u8")).decode()
    return re.findall(r'#EXT-X-I-FRAME-STREAM-INF:.*URI="([^"]+)"', master)


def test_the_master_leads_to_each_rungs_iframe_playlist_and_its_ranges(auth_client, video):
    base = f"http://testserver/api/video/{video.pk}/master.m3u8"
    iframe_uris = master_iframe_uris(auth_client, video)
    assert iframe_uris == ["240p/iframes.m3u8", "360p/iframes.m3u8"]

    for uri in iframe_uris:
        url = urljoin(base, uri)
        response = auth_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == PLAYLIST_TYPE
        assert response["Cache-Control"] == "private, no-cache"
        playlist = body(response)
        assert b"#EXT-X-I-FRAMES-ONLY" in playlist
        ranges = entries(playlist)
        assert len(ranges) == 4  # 4 s, a keyframe every second
        for length, offset, segment_uri in ranges:
            segment_url = urljoin(url, segment_uri)
            end = offset + length - 1
            segment = auth_client.get(segment_url, headers={"Range": f"bytes={offset}-{end}"})
            assert segment.status_code == 206
            rung, name = urlsplit(segment_url).path.split("/")[-2:]
            whole = (video.hls_dir / rung / name).read_bytes()
            assert body(segment) == whole[offset : end + 1]


def test_iframe_playlists_name_the_output_version_in_each_uri(auth_client, video):
    iframes = body(auth_client.get(f"/api/video/{video.pk}/240p/iframes.m3u8"))

    versions = {
        re.fullmatch(r"segment00\d\.ts\?v=([0-9a-f]+-[0-9a-f]+)", uri)[1]
        for *_, uri in entries(iframes)
    }
    assert len(versions) == 1


@pytest.mark.parametrize("above", ["480p", "1080p"])
def test_a_rung_above_the_best_answers_with_the_best_rungs_iframes(auth_client, video, above):
    response = auth_client.get(f"/api/video/{video.pk}/{above}/iframes.m3u8")

    assert response.status_code == 200
    uris = [uri for *_, uri in entries(body(response))]
    assert len(uris) == 4
    assert all(uri.startswith("../360p/segment") for uri in uris)


@pytest.mark.parametrize("missing", ["144p", "300p"])
def test_a_missing_rung_below_or_between_has_no_iframes(auth_client, video, missing):
    response = auth_client.get(f"/api/video/{video.pk}/{missing}/iframes.m3u8")

    assert response.status_code == 404
    assert response.json() == SEGMENT_NOT_FOUND


def test_iframes_follow_the_access_rules(client, auth_client, make_video):
    published = make_video()
    hidden = make_video(is_published=False)

    assert client.get(f"/api/video/{published.pk}/240p/iframes.m3u8").status_code == 401
    assert auth_client.get(f"/api/video/{hidden.pk}/240p/iframes.m3u8").status_code == 404


def test_signed_links_cover_the_iframe_ranges(auth_client, video, settings):
    settings.STREAMING_SEGMENT_LINK_SECRET = "links-secret"

    playlist = body(auth_client.get(f"/api/video/{video.pk}/240p/iframes.m3u8"))

    uris = [uri for *_, uri in entries(playlist)]
    assert len(uris) == 4
    assert all(re.fullmatch(r"segment00\d\.ts\?e=\d+&s=[\w-]+&v=[0-9a-f-]+", u) for u in uris)


def test_the_storyboard_and_its_sprites_resolve_through_the_routes(auth_client, video):
    url = reverse("api:video_storyboard", args=[video.pk])
    assert url == f"/api/video/{video.pk}/storyboard.vtt"
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt"
    vtt = body(response).decode()
    assert vtt.startswith("WEBVTT")
    images = re.findall(r"^(\S+)#xywh=\d+,\d+,\d+,\d+$", vtt, re.MULTILINE)
    assert images == ["storyboard/sprite000.jpg"]

    sprite = auth_client.get(urljoin(f"http://testserver{url}", images[0]))
    assert sprite.status_code == 200
    assert sprite["Content-Type"] == "image/jpeg"
    assert body(sprite) == (video.hls_dir / "storyboard" / "sprite000.jpg").read_bytes()
    again = auth_client.get(
        f"/api/video/{video.pk}/storyboard/sprite000.jpg",
        headers={"If-None-Match": sprite["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "storyboard.vtt",
        "storyboard/sprite000.jpg",
    ],
)
def test_the_storyboard_follows_the_thumbnail_access_rule(client, auth_client, make_video, path):
    published, hidden = make_video(), make_video(is_published=False)

    anonymous = client.get(f"/api/video/{published.pk}/{path}")
    assert anonymous.status_code == 401
    not_yours = auth_client.get(f"/api/video/{hidden.pk}/{path}")
    assert not_yours.status_code == 404
    assert auth_client.get(f"/api/video/{published.pk}/{path}").status_code == 200


@pytest.mark.parametrize(
    "name", ["sprite1.jpg", "sprite000.png", "..%2Fthumbnail.jpg", "sprite000.jpg.bak"]
)
def test_only_sprite_names_are_served(auth_client, video, name):
    response = auth_client.get(f"/api/video/{video.pk}/storyboard/{name}")

    assert response.status_code == 404
    assert response.json() in (STORYBOARD_NOT_FOUND, SEGMENT_NOT_FOUND)


def test_a_film_without_storyboard_is_404(auth_client, make_video):
    video = make_video()
    (video.hls_dir / "storyboard.vtt").unlink()

    response = auth_client.get(f"/api/video/{video.pk}/storyboard.vtt")

    assert response.status_code == 404
    assert response.json() == STORYBOARD_NOT_FOUND


def test_sprites_are_handed_to_nginx_in_x_accel_mode(auth_client, video, settings):
    settings.STREAMING_X_ACCEL = True
    settings.STREAMING_X_ACCEL_PREFIX = "/protected-media/"

    sprite = auth_client.get(f"/api/video/{video.pk}/storyboard/sprite000.jpg")
    vtt = auth_client.get(f"/api/video/{video.pk}/storyboard.vtt")

    expected = f"/protected-media/hls/{video.pk}/storyboard/sprite000.jpg"
    assert sprite["X-Accel-Redirect"] == expected
    assert vtt.status_code == 200
    assert "X-Accel-Redirect" not in vtt
    assert body(vtt).startswith(b"WEBVTT")
